"""The masks of Vary (Region) jobs, stored with the job so that a restart keeps them."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import JobMask


async def put_mask(*, session: AsyncSession, job_id: int, png: bytes) -> None:
    session.add(JobMask(job_id=job_id, png=png))
    await session.flush()


async def get_mask(*, session: AsyncSession, job_id: int) -> bytes | None:
    row = await session.get(JobMask, job_id)
    return row.png if row is not None else None

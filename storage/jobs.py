"""Job rows: creation, transitions and the look-ups a restart needs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Job, JobStatus, utcnow


async def create_job(*, session: AsyncSession, job: Job) -> Job:
    session.add(job)
    await session.flush()
    return job


async def get_job(*, session: AsyncSession, job_id: int) -> Job | None:
    return await session.get(Job, job_id)


async def update_job(*, session: AsyncSession, job_id: int, **changes: Any) -> Job:
    """Set the given columns; a move to a finished status also stamps finished_at."""
    job = await session.get(Job, job_id)
    if job is None:
        raise LookupError(f"job {job_id} does not exist")
    for name, value in changes.items():
        setattr(job, name, value)
    job.updated_at = utcnow()
    if "status" in changes and JobStatus(changes["status"]).finished and job.finished_at is None:
        job.finished_at = job.updated_at
    session.add(job)
    await session.flush()
    return job


async def unfinished_jobs(*, session: AsyncSession) -> Sequence[Job]:
    """Jobs a restart must pick up again, oldest first."""
    finished = (JobStatus.SUCCEEDED, JobStatus.FAILED)
    rows = await session.exec(
        select(Job).where(col(Job.status).not_in(finished)).order_by(col(Job.id))
    )
    return rows.all()


async def undelivered_jobs(*, session: AsyncSession) -> Sequence[Job]:
    """Finished jobs whose outcome never reached the chat (e.g. the bot died in between)."""
    finished = (JobStatus.SUCCEEDED, JobStatus.FAILED)
    rows = await session.exec(
        select(Job)
        .where(col(Job.status).in_(finished), col(Job.delivered_at).is_(None))
        .order_by(col(Job.id))
    )
    return rows.all()

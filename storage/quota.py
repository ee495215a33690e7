"""The quota ledger: a unit is reserved when a job is accepted and later charged or refunded.

Reserved and charged units count against the day; refunded ones do not. Charging and refunding
only move a RESERVED entry, so each happens at most once per job whatever calls it again.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from sqlalchemy import Table, bindparam, func, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import lock_chat_quota
from storage.errors import QuotaExceeded
from storage.models import QuotaEntry, QuotaState, utcnow


def quota_day(now: datetime | None = None, tz: tzinfo = UTC) -> str:
    return (now or datetime.now(UTC)).astimezone(tz).date().isoformat()


async def used_units(
    *, session: AsyncSession, day: str, chat_id: int, user_id: int | None = None
) -> int:
    query = select(func.coalesce(func.sum(QuotaEntry.units), 0)).where(
        QuotaEntry.day == day,
        QuotaEntry.chat_id == chat_id,
        QuotaEntry.state != QuotaState.REFUNDED,
    )
    if user_id is not None:
        query = query.where(QuotaEntry.user_id == user_id)
    return int((await session.exec(query)).one())


async def reserve(
    *,
    session: AsyncSession,
    job_id: int,
    chat_id: int,
    user_id: int | None,
    day: str,
    units: int,
    chat_limit: int | None,
    user_limit: int | None,
) -> QuotaEntry:
    """Reserve units for a job or raise QuotaExceeded; the caller's transaction makes it atomic."""
    await lock_chat_quota(session, chat_id)
    if chat_limit is not None:
        used = await used_units(session=session, day=day, chat_id=chat_id)
        if used + units > chat_limit:
            raise QuotaExceeded("chat", chat_limit)
    if user_limit is not None and user_id is not None:
        used = await used_units(session=session, day=day, chat_id=chat_id, user_id=user_id)
        if used + units > user_limit:
            raise QuotaExceeded("user", user_limit)
    entry = QuotaEntry(job_id=job_id, chat_id=chat_id, user_id=user_id, day=day, units=units)
    session.add(entry)
    await session.flush()
    return entry


_QUOTA: Table = QuotaEntry.__table__  # type: ignore[assignment]
# Built once, on the table rather than the model: every finished job runs it, and SQLAlchemy's
# ORM-enabled UPDATE (which would also refresh loaded entries: none are kept) costs more than
# the UPDATE itself.
_SETTLE = (
    update(_QUOTA)
    .where(_QUOTA.c.job_id == bindparam("q_job_id"), _QUOTA.c.state == QuotaState.RESERVED)
    .values(state=bindparam("q_state"), settled_at=bindparam("q_at"))
)


async def _settle(session: AsyncSession, job_id: int, state: QuotaState) -> bool:
    result = await session.exec(  # type: ignore[call-overload]
        _SETTLE, params={"q_job_id": job_id, "q_state": state, "q_at": utcnow()}
    )
    return bool(result.rowcount)


async def charge(*, session: AsyncSession, job_id: int) -> bool:
    """Charge the job's reservation; False if it was already settled (or never reserved)."""
    return await _settle(session, job_id, QuotaState.CHARGED)


async def refund(*, session: AsyncSession, job_id: int) -> bool:
    """Give the job's units back; False if it was already settled (or never reserved)."""
    return await _settle(session, job_id, QuotaState.REFUNDED)

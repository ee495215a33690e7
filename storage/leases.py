"""Which bot process runs a job: several processes can share one database.

A process owns the jobs it creates and renews their leases while it lives. When it dies, its
leases run out and another process claims the jobs: each row goes to exactly one claimant,
because candidates are locked with FOR UPDATE SKIP LOCKED (Postgres) and the claiming UPDATE
repeats the condition (so SQLite, without row locks, is just as exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FINISHED, Job, utcnow


def _open() -> ColumnElement[bool]:
    """Jobs somebody still has to run or deliver."""
    return or_(col(Job.status).not_in(FINISHED), col(Job.delivered_at).is_(None))


def _claimable(owner: str, now: datetime, *, mine: bool) -> ColumnElement[bool]:
    free = or_(
        col(Job.owner).is_(None),
        col(Job.lease_until).is_(None),
        col(Job.lease_until) < now,
    )
    # Our own rows from before a restart (same INSTANCE_NAME) need no waiting for the lease.
    return or_(free, col(Job.owner) == owner) if mine else and_(free, col(Job.owner) != owner)


def lease(lease_s: float, now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(seconds=lease_s)


async def claim_jobs(
    *, session: AsyncSession, owner: str, lease_s: float, mine: bool
) -> Sequence[Job]:
    """Take the open jobs nobody holds (and with `mine`, our own from before a restart);
    returns them, oldest first."""
    now = utcnow()
    condition = and_(_open(), _claimable(owner, now, mine=mine))
    ids = (
        await session.exec(
            select(Job.id).where(condition).order_by(col(Job.id)).with_for_update(skip_locked=True)
        )
    ).all()
    if not ids:
        return []
    await session.exec(  # type: ignore[call-overload]
        update(Job)
        .where(col(Job.id).in_(ids), condition)
        .values(owner=owner, lease_until=lease(lease_s, now))
    )
    rows = await session.exec(
        select(Job)
        .where(col(Job.id).in_(ids), col(Job.owner) == owner)
        .order_by(col(Job.id))
        .execution_options(populate_existing=True)
    )
    return rows.all()


async def renew_leases(*, session: AsyncSession, owner: str, lease_s: float) -> int:
    """Extend the leases of every open job we hold; returns how many."""
    result = await session.exec(  # type: ignore[call-overload]
        update(Job)
        .where(col(Job.owner) == owner, _open())
        .values(lease_until=lease(lease_s))
    )
    return int(result.rowcount)

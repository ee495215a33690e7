"""Job rows: creation, transitions and the look-ups a restart needs."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, Update, bindparam, func, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FINISHED, Job, JobStatus, utcnow


async def create_job(*, session: AsyncSession, job: Job) -> Job:
    session.add(job)
    await session.flush()
    return job


async def get_job(*, session: AsyncSession, job_id: int) -> Job | None:
    return await session.get(Job, job_id)


async def update_job(*, session: AsyncSession, job_id: int, **changes: Any) -> Job:
    """Set the given columns and return the job; a move to a finished status also stamps
    finished_at.

    Written with set_job's UPDATE and mirrored onto the loaded row as committed values: the
    unit of work's flush of a Job cost twice the read and the UPDATE together.
    """
    job = await session.get(Job, job_id)
    if job is None:
        raise LookupError(f"job {job_id} does not exist")
    now = await _write(session, job_id, changes)
    assert now is not None
    for name, value in {**changes, "updated_at": now}.items():
        set_committed_value(job, name, value)
    if _finishing(changes) and job.finished_at is None:
        set_committed_value(job, "finished_at", now)
    return job


_JOB: Table = Job.__table__  # type: ignore[assignment]


def _finishing(changes: dict[str, Any]) -> bool:
    return "status" in changes and JobStatus(changes["status"]).finished


@functools.cache
def _set_statement(
    columns: tuple[str, ...], finishing: bool, unfinished_only: bool, from_status: bool = False
) -> Update:
    """One UPDATE per set of columns, built once: building and hashing a fresh statement for
    each transition cost SQLAlchemy about as much as running it."""
    values: dict[str, Any] = {
        name: bindparam(f"v_{name}", type_=_JOB.c[name].type) for name in columns
    }
    now = bindparam("v_now", type_=_JOB.c.updated_at.type)
    values["updated_at"] = now
    if finishing:
        values["finished_at"] = func.coalesce(_JOB.c.finished_at, now)
    statement = update(_JOB).where(_JOB.c.id == bindparam("v_job_id")).values(values)
    if unfinished_only:
        statement = statement.where(_JOB.c.status.not_in(FINISHED))
    if from_status:
        statement = statement.where(
            _JOB.c.status == bindparam("v_from", type_=_JOB.c.status.type)
        )
    return statement


async def _write(
    session: AsyncSession, job_id: int, changes: dict[str, Any], *, unfinished_only: bool = False
) -> datetime | None:
    """The UPDATE of set_job and update_job; returns the updated_at it wrote, or None when
    `unfinished_only` found the job finished."""
    now = utcnow()
    params = {f"v_{name}": value for name, value in changes.items()}
    result = await session.exec(  # type: ignore[call-overload]
        _set_statement(tuple(sorted(changes)), _finishing(changes), unfinished_only),
        params={**params, "v_now": now, "v_job_id": job_id},
    )
    if result.rowcount:
        return now
    if unfinished_only and await session.get(Job, job_id) is not None:
        return None
    raise LookupError(f"job {job_id} does not exist")


async def set_job(*, session: AsyncSession, job_id: int, **changes: Any) -> None:
    """update_job for callers that do not need the row back: one UPDATE, nothing read.

    The dispatcher's transitions on Midjourney's messages go through here. A Job already
    loaded in this session is not refreshed: use update_job for that.
    """
    await _write(session, job_id, changes)


async def set_job_unless_finished(*, session: AsyncSession, job_id: int, **changes: Any) -> bool:
    """set_job, unless the job has finished meanwhile (then False, and nothing is written).

    Midjourney's messages are handled concurrently (discord.py runs each gateway event in a
    task of its own), so a progress message's write can come after the result's.
    """
    return await _write(session, job_id, changes, unfinished_only=True) is not None


async def move_job(
    *, session: AsyncSession, job_id: int, from_status: JobStatus, **changes: Any
) -> bool:
    """set_job, only if the job's status is still `from_status` (else False, nothing written):
    a check and a transition in one UPDATE, with nothing read."""
    statement = _set_statement(tuple(sorted(changes)), _finishing(changes), False, True)
    params = {f"v_{name}": value for name, value in changes.items()}
    result = await session.exec(  # type: ignore[call-overload]
        statement,
        params={**params, "v_now": utcnow(), "v_job_id": job_id, "v_from": from_status},
    )
    return bool(result.rowcount)


async def undelivered_jobs(*, session: AsyncSession, owner: str) -> Sequence[Job]:
    """Finished jobs of this owner whose outcome never reached the chat (e.g. the bot died in
    between)."""
    rows = await session.exec(
        select(Job)
        .where(
            col(Job.status).in_(FINISHED),
            col(Job.delivered_at).is_(None),
            col(Job.owner) == owner,
        )
        .order_by(col(Job.id))
    )
    return rows.all()

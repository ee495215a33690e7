"""Job rows: creation, transitions and the look-ups a restart needs.

A job's life goes through six calls (arq's finish_job is the model): `accept_job` (the row and
its quota reserved), `launch_job` (sent to Midjourney), `record_progress`, then one outcome,
`succeed_job` (the result and the charge in one transaction) or `fail_job` (the refund, unless
the job finished already), and at last `mark_delivered`. The quota ledger is written here and
nowhere else on a job's way (tests/test_rooms.py holds every other module to it).
"""

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
from storage.quota import charge, refund, reserve


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


# -- the lifecycle --------------------------------------------------------------------------


async def accept_job(
    *, session: AsyncSession, job: Job, day: str, chat_limit: int | None, user_limit: int | None
) -> Job:
    """The job's row with `job.cost` units reserved on the quota `day`, in the caller's one
    transaction; QuotaExceeded when a limit would be passed (the caller's rollback then keeps
    neither)."""
    job = await create_job(session=session, job=job)
    assert job.id is not None
    await reserve(
        session=session, job_id=job.id, chat_id=job.chat_id, user_id=job.user_id, day=day,
        units=job.cost, chat_limit=chat_limit, user_limit=user_limit,
    )  # fmt: skip
    return job


async def launch_job(
    *, session: AsyncSession, job_id: int, from_status: JobStatus, **changes: Any
) -> bool:
    """The job goes to Midjourney: SUBMITTED with its nonce and account, only if it is still
    `from_status` (one process sends it, whoever else may have claimed it)."""
    return await move_job(
        session=session, job_id=job_id, from_status=from_status,
        status=JobStatus.SUBMITTED, **changes,
    )  # fmt: skip


async def record_progress(*, session: AsyncSession, job_id: int, **changes: Any) -> bool:
    """RUNNING, with what a restart needs to find the job's messages again; nothing is
    written (False) once the job has finished."""
    return await set_job_unless_finished(
        session=session, job_id=job_id, status=JobStatus.RUNNING, **changes
    )


async def succeed_job(*, session: AsyncSession, job_id: int, **result: Any) -> None:
    """SUCCEEDED with its result, and its quota charged, in the caller's one transaction.

    The result's message is unique among jobs: IntegrityError when another job has it.
    """
    await set_job(session=session, job_id=job_id, status=JobStatus.SUCCEEDED, progress=100,
                  **result)  # fmt: skip
    await charge(session=session, job_id=job_id)


async def fail_job(
    *, session: AsyncSession, job_id: int, kind: str, detail: str = "", **changes: Any
) -> bool:
    """FAILED and refunded, unless it has finished already (then False, nothing changes)."""
    job = await get_job(session=session, job_id=job_id)
    if job is None or job.status.finished:
        return False
    await update_job(
        session=session, job_id=job_id, status=JobStatus.FAILED, error_kind=kind,
        error=detail[:500], **changes,
    )  # fmt: skip
    await refund(session=session, job_id=job_id)
    return True


async def mark_delivered(*, session: AsyncSession, job_id: int, **changes: Any) -> None:
    """The chat has the job's outcome: a restart does not deliver it again."""
    await set_job(session=session, job_id=job_id, delivered_at=utcnow(), **changes)

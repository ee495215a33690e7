"""SQLite as storage/db.py drives it: one trip to aiosqlite's thread per statement
(storage/sqlite_driver.py), with everything SQLAlchemy reads after a statement (rows, rowcount,
lastrowid, errors) as before, and transactions that take turns without a session each."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.jobs import create_job, get_job, move_job, set_job
from storage.models import Job, JobStatus
from tests.busy_database import database_busy


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}") as database:
        yield database


class _Trips:
    """Counts the calls made to aiosqlite's thread on the pool's only connection."""

    def __init__(self) -> None:
        self.count = 0

    async def install(self, db: Database) -> None:
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
        original = driver._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(fn, *args, **kwargs)

        driver._execute = counted


async def _one_result_for_two_jobs(db: Database) -> None:
    async with db.transaction() as session:
        await set_job(session=session, job_id=1, result_message_id="m1")
        await set_job(session=session, job_id=2, result_message_id="m1")


async def test_an_update_costs_one_trip_and_the_commit_another(db: Database) -> None:
    async with db.transaction() as session:
        job = await create_job(session=session, job=Job(chat_id=1, user_id=1, prompt="p"))
    assert job.id is not None
    trips = _Trips()
    await trips.install(db)
    async with db.transaction() as session:
        await set_job(session=session, job_id=job.id, progress=50)
    # SQLAlchemy's own adapter: cursor, execute, close, commit.
    assert trips.count == 2
    trips.count = 0
    async with db.transaction() as session:
        read = await get_job(session=session, job_id=job.id)
    # cursor, execute, fetchall, close, commit before.
    assert trips.count == 2
    assert read is not None
    assert read.progress == 50


async def test_rows_counts_ids_and_errors_come_back_as_from_sqlite3(db: Database) -> None:
    async with db.transaction() as session:
        first = await create_job(session=session, job=Job(chat_id=1, user_id=1, prompt="a"))
        second = await create_job(session=session, job=Job(chat_id=1, user_id=1, prompt="b"))
    assert (first.id, second.id) == (1, 2)  # lastrowid
    async with db.transaction() as session:
        moved = await move_job(
            session=session, job_id=1, from_status=JobStatus.QUEUED, status=JobStatus.SUBMITTED
        )
        again = await move_job(
            session=session, job_id=1, from_status=JobStatus.QUEUED, status=JobStatus.SUBMITTED
        )
    assert (moved, again) == (True, False)  # rowcount
    async with db.transaction() as session:
        connection = await session.connection()
        await connection.execute(
            insert(Job.__table__),  # type: ignore[arg-type]
            [{"chat_id": 2, "user_id": 2, "prompt": f"many {n}"} for n in range(3)],
        )
        rows = (await connection.execute(text("SELECT prompt FROM job ORDER BY id"))).all()
    assert [row.prompt for row in rows] == ["a", "b", "many 0", "many 1", "many 2"]
    with pytest.raises(IntegrityError):
        await _one_result_for_two_jobs(db)
    async with db.transaction() as session:  # the failed transaction was rolled back whole
        job = await get_job(session=session, job_id=1)
    assert job is not None
    assert job.result_message_id is None


async def test_transactions_waiting_for_their_turn_hold_no_session(db: Database) -> None:
    async def read() -> Job | None:
        async with db.transaction() as session:
            return await get_job(session=session, job_id=1)

    async with database_busy(db):
        waiters = [asyncio.create_task(read()) for _ in range(5)]
        await asyncio.sleep(0.01)
        gc.collect()
        # The busy transaction's session only.
        assert sum(isinstance(o, AsyncSession) for o in gc.get_objects()) == 1
    assert await asyncio.gather(*waiters) == [None] * 5

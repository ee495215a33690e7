"""The quota ledger: reserve, charge once, refund once, on a real SQLite database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage.db import Database
from storage.errors import QuotaExceeded
from storage.jobs import create_job
from storage.models import Job
from storage.quota import charge, quota_day, refund, reserve, used_units

DAY = "2026-11-25"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    async with Database(database_url) as database:
        yield database


async def new_job(db: Database, chat_id: int = -100, user_id: int = 7) -> int:
    async with db.transaction() as session:
        job = await create_job(session=session, job=Job(chat_id=chat_id, user_id=user_id))
    assert job.id is not None
    return job.id


async def book(
    db: Database,
    job_id: int,
    *,
    chat_limit: int | None,
    user_limit: int | None,
    chat_id: int = -100,
    user_id: int = 7,
) -> None:
    async with db.transaction() as session:
        await reserve(
            session=session,
            job_id=job_id,
            chat_id=chat_id,
            user_id=user_id,
            day=DAY,
            units=1,
            chat_limit=chat_limit,
            user_limit=user_limit,
        )


async def used(db: Database, chat_id: int = -100, user_id: int | None = None) -> int:
    async with db.transaction() as session:
        return await used_units(session=session, day=DAY, chat_id=chat_id, user_id=user_id)


async def test_charge_and_refund_happen_at_most_once(db: Database) -> None:
    first, second = await new_job(db), await new_job(db)
    await book(db, first, chat_limit=5, user_limit=5)
    await book(db, second, chat_limit=5, user_limit=5)
    async with db.transaction() as session:
        assert await charge(session=session, job_id=first) is True
        assert await charge(session=session, job_id=first) is False
        assert await refund(session=session, job_id=first) is False  # already charged
        assert await refund(session=session, job_id=second) is True
        assert await refund(session=session, job_id=second) is False
        assert await charge(session=session, job_id=second) is False  # already refunded
    assert await used(db) == 1


async def test_group_pool_and_member_cap(db: Database) -> None:
    for _ in range(2):
        await book(db, await new_job(db, user_id=7), chat_limit=3, user_limit=2)
    with pytest.raises(QuotaExceeded) as member:
        await book(db, await new_job(db, user_id=7), chat_limit=3, user_limit=2)
    assert member.value.scope == "user"
    await book(db, await new_job(db, user_id=8), chat_limit=3, user_limit=2, user_id=8)
    with pytest.raises(QuotaExceeded) as group:
        await book(db, await new_job(db, user_id=9), chat_limit=3, user_limit=2, user_id=9)
    assert group.value.scope == "chat"
    assert await used(db) == 3
    assert await used(db, user_id=7) == 2


async def test_refunded_units_can_be_used_again(db: Database) -> None:
    job = await new_job(db)
    await book(db, job, chat_limit=1, user_limit=1)
    async with db.transaction() as session:
        await refund(session=session, job_id=job)
    await book(db, await new_job(db), chat_limit=1, user_limit=1)
    assert await used(db) == 1


async def test_concurrent_reservations_never_overdraw(db: Database) -> None:
    jobs = [await new_job(db, user_id=n) for n in range(10)]

    async def attempt(job_id: int, user_id: int) -> bool:
        try:
            await book(db, job_id, chat_limit=4, user_limit=None, user_id=user_id)
        except QuotaExceeded:
            return False
        return True

    results = await asyncio.gather(*(attempt(job, n) for n, job in enumerate(jobs)))
    assert sum(results) == 4
    assert await used(db) == 4


def test_quota_day_rolls_over_at_midnight_in_the_given_zone() -> None:
    before = datetime(2026, 11, 25, 23, 59, tzinfo=UTC)
    assert quota_day(before) == "2026-11-25"
    assert quota_day(before + timedelta(minutes=1)) == "2026-11-26"
    assert quota_day(before, timezone(timedelta(hours=8))) == "2026-11-26"

"""storage.chats, storage.limits, storage.chat_stats and storage.chat_migration on a real
SQLite database: limits, access, bans, stats and chat migration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel, col, select

from storage.buttons import add_buttons, resolve_token
from storage.chat_migration import migrate_chat
from storage.chat_stats import chat_stats
from storage.chats import (
    DeniedNotice,
    Member,
    chat_allowed,
    claim_denied_notice,
    ensure_chat,
    get_chat,
    is_banned,
    quota_window,
    set_allowed,
    set_banned,
    set_chat_quota,
    set_member_quota,
    zone,
)
from storage.db import Database
from storage.errors import QuotaExceeded, UnknownToken
from storage.jobs import create_job, update_job
from storage.limits import limits_for, usage
from storage.models import ButtonToken, Chat, Job, JobStatus, QuotaEntry
from storage.quota import refund, reserve, used_units


# A table keyed by (chat_id, slot) that storage.chat_migration has never heard of, like the ones
# other features keep adding (pending replies, chat settings): a migration must move it as well.
class MigrationProbe(SQLModel, table=True):
    __tablename__ = "test_migration_probe"
    chat_id: int = Field(sa_type=BigInteger, primary_key=True)
    slot: int = Field(primary_key=True)
    value: str = ""


DAY = "2026-11-25"
GROUP = -500
USER = 7


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    async with Database(database_url) as database:
        async with database.engine.begin() as conn:  # not an app table: the start skips it
            await conn.run_sync(MigrationProbe.__table__.create)  # type: ignore[attr-defined]
        yield database


async def limits(
    db: Database, chat_id: int = GROUP, user_id: int | None = USER, group: bool = True
) -> tuple[int | None, int | None]:
    async with db.transaction() as session:
        return await limits_for(
            session=session,
            chat_id=chat_id,
            chat_is_group=group,
            user_id=user_id,
            chat_default=50,
            user_default=20,
        )


async def booked_job(db: Database, chat_id: int = GROUP, user_id: int = USER) -> int:
    """A job with one reserved unit, as reserve_job makes it."""
    async with db.transaction() as session:
        job = await create_job(session=session, job=Job(chat_id=chat_id, user_id=user_id))
        assert job.id is not None
        await reserve(
            session=session,
            job_id=job.id,
            chat_id=chat_id,
            user_id=user_id,
            day=DAY,
            units=1,
            chat_limit=None,
            user_limit=None,
        )
    return job.id


async def test_limits_are_the_defaults_until_overridden(db: Database) -> None:
    assert await limits(db) == (50, 20)
    assert await limits(db, chat_id=USER, group=False) == (None, 20)
    assert await limits(db, user_id=None) == (50, None)

    async with db.transaction() as session:
        await set_chat_quota(session=session, chat_id=GROUP, limit=5)
        await set_member_quota(session=session, chat_id=GROUP, user_id=USER, limit=0)
    assert await limits(db) == (5, 0)
    assert await limits(db, user_id=8) == (5, 20), "another member keeps the default cap"
    assert await limits(db, chat_id=-501) == (50, 20), "another group keeps the default pool"

    async with db.transaction() as session:
        await set_chat_quota(session=session, chat_id=GROUP, limit=None)
        await set_member_quota(session=session, chat_id=GROUP, user_id=USER, limit=None)
    assert await limits(db) == (50, 20)


async def test_limits_for_feeds_reserve(db: Database) -> None:
    """The integration reserve_job makes: an override of 1 refuses the second job."""
    async with db.transaction() as session:
        await set_chat_quota(session=session, chat_id=GROUP, limit=1)
    chat_limit, user_limit = await limits(db)
    for attempt in range(2):
        async with db.transaction() as session:
            job = await create_job(session=session, job=Job(chat_id=GROUP, user_id=attempt))
            assert job.id is not None
            reservation = reserve(
                session=session,
                job_id=job.id,
                chat_id=GROUP,
                user_id=attempt,
                day=DAY,
                units=1,
                chat_limit=chat_limit,
                user_limit=user_limit,
            )
            if attempt == 0:
                await reservation
            else:
                with pytest.raises(QuotaExceeded) as refused:
                    await reservation
                assert refused.value.scope == "chat"


def test_chat_allowed_follows_the_row_then_the_seed_list() -> None:
    assert chat_allowed(None, GROUP, frozenset())
    assert chat_allowed(None, GROUP, frozenset({GROUP}))
    assert not chat_allowed(None, GROUP, frozenset({-1}))
    assert chat_allowed(Chat(id=GROUP, allowed=True), GROUP, frozenset({-1}))
    assert not chat_allowed(Chat(id=GROUP, allowed=False), GROUP, frozenset({GROUP}))
    assert not chat_allowed(Chat(id=GROUP, allowed=False), GROUP, frozenset())
    assert chat_allowed(Chat(id=GROUP, allowed=None), GROUP, frozenset({GROUP}))


async def test_the_denied_notice_is_claimed_once_and_allow_resets_it(db: Database) -> None:
    async def claim() -> bool:
        async with db.transaction() as session:
            return await claim_denied_notice(session=session, chat_id=GROUP)

    assert await claim() is True
    assert await claim() is False
    async with db.transaction() as session:
        chat = await set_allowed(session=session, chat_id=GROUP, allowed=True, title="Art")
        assert chat.allowed is True
        assert chat.type == "group"
        assert chat.title == "Art"
    async with db.transaction() as session:
        await set_allowed(session=session, chat_id=GROUP, allowed=False)
    assert await claim() is True
    async with db.transaction() as session:
        chat = await get_chat(session=session, chat_id=GROUP)
    assert chat is not None
    assert chat.allowed is False
    assert chat.title == "Art", "a later call without a title keeps it"


async def test_bans_are_per_chat(db: Database) -> None:
    async with db.transaction() as session:
        await set_banned(session=session, chat_id=GROUP, user_id=USER, banned=True)
        assert await is_banned(session=session, chat_id=GROUP, user_id=USER)
        assert not await is_banned(session=session, chat_id=-501, user_id=USER)
        assert not await is_banned(session=session, chat_id=GROUP, user_id=8)
        await set_banned(session=session, chat_id=GROUP, user_id=USER, banned=False)
        assert not await is_banned(session=session, chat_id=GROUP, user_id=USER)


async def test_usage_counts_reserved_and_charged_but_not_refunded(db: Database) -> None:
    first = await booked_job(db)
    await booked_job(db)
    await booked_job(db, user_id=8)
    async with db.transaction() as session:
        await refund(session=session, job_id=first)
        used = await usage(
            session=session,
            day=DAY,
            chat_id=GROUP,
            chat_is_group=True,
            user_id=USER,
            chat_default=3,
            user_default=2,
        )
    assert (used.chat_used, used.chat_limit, used.chat_left) == (2, 3, 1)
    assert (used.user_used, used.user_limit, used.user_left) == (1, 2, 1)


async def test_migrate_chat_moves_every_row_and_is_idempotent(db: Database) -> None:
    new = -1000500
    job_id = await booked_job(db)
    async with db.transaction() as session:
        await ensure_chat(session=session, chat_id=GROUP, type="group", title="Artists")
        await set_chat_quota(session=session, chat_id=GROUP, limit=9)
        await set_allowed(session=session, chat_id=GROUP, allowed=True)
        await set_member_quota(session=session, chat_id=GROUP, user_id=USER, limit=4)
        await set_banned(session=session, chat_id=GROUP, user_id=8, banned=True)
        await claim_denied_notice(session=session, chat_id=GROUP)
        await update_job(session=session, job_id=job_id, status=JobStatus.SUCCEEDED)
        [button] = await add_buttons(
            session=session, chat_id=GROUP, job_id=job_id, buttons=[("mj", "MJ::x", "U1")]
        )
        session.add(MigrationProbe(chat_id=GROUP, slot=1, value="moved"))

    async with db.transaction() as session:
        assert await migrate_chat(session=session, old_id=GROUP, new_id=new) is True
    async with db.transaction() as session:
        assert await migrate_chat(session=session, old_id=GROUP, new_id=new) is False

    async with db.transaction() as session:
        assert await get_chat(session=session, chat_id=GROUP) is None
        chat = await get_chat(session=session, chat_id=new)
        assert chat is not None
        assert (chat.type, chat.title, chat.daily_quota, chat.allowed) == (
            "supergroup",
            "Artists",
            9,
            True,
        )
        for table in (Job, ButtonToken, QuotaEntry, Member, DeniedNotice, MigrationProbe):
            rows = (await session.exec(select(table))).all()
            assert rows, table
            assert {row.chat_id for row in rows} == {new}, table
        assert await used_units(session=session, day=DAY, chat_id=new) == 1
        assert await is_banned(session=session, chat_id=new, user_id=8)
        assert (await resolve_token(session=session, token=button.token, chat_id=new)).job_id
        with pytest.raises(UnknownToken):
            await resolve_token(session=session, token=button.token, chat_id=GROUP)
    assert await limits(db, chat_id=new) == (9, 4)


async def test_migrate_chat_merges_into_a_row_the_new_chat_already_has(db: Database) -> None:
    new = -1000501
    async with db.transaction() as session:
        await set_chat_quota(session=session, chat_id=GROUP, limit=9, title="Old")
        await set_member_quota(session=session, chat_id=GROUP, user_id=USER, limit=4)
        await set_allowed(session=session, chat_id=new, allowed=True)  # the new chat spoke first
        await set_banned(session=session, chat_id=new, user_id=USER, banned=True)
        session.add(MigrationProbe(chat_id=GROUP, slot=1, value="old"))
        session.add(MigrationProbe(chat_id=GROUP, slot=2, value="old"))
        session.add(MigrationProbe(chat_id=new, slot=1, value="new"))
    async with db.transaction() as session:
        await migrate_chat(session=session, old_id=GROUP, new_id=new)
    async with db.transaction() as session:
        chat = await get_chat(session=session, chat_id=new)
        assert chat is not None
        assert (chat.daily_quota, chat.allowed, chat.title) == (9, True, "Old")
        members = (await session.exec(select(Member).where(col(Member.chat_id) == new))).all()
        probes = (await session.exec(select(MigrationProbe))).all()
    assert [(m.user_id, m.banned, m.daily_quota) for m in members] == [(USER, True, 4)]
    # A key the new chat already holds keeps the new row; the others move over.
    assert sorted((p.chat_id, p.slot, p.value) for p in probes) == [
        (new, 1, "new"),
        (new, 2, "old"),
    ]


async def test_stats_count_jobs_per_chat_today_and_in_all(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_chat(session=session, chat_id=GROUP, title="Artists")
    ok, failed = await booked_job(db), await booked_job(db)
    await booked_job(db, chat_id=USER)
    async with db.transaction() as session:
        await update_job(session=session, job_id=ok, status=JobStatus.SUCCEEDED)
        await update_job(session=session, job_id=failed, status=JobStatus.FAILED)
        # A job of an earlier day counts in the total only.
        old = await create_job(session=session, job=Job(chat_id=GROUP, status=JobStatus.FAILED))
        assert old.id is not None
        await reserve(
            session=session,
            job_id=old.id,
            chat_id=GROUP,
            user_id=USER,
            day="2026-11-24",
            units=1,
            chat_limit=None,
            user_limit=None,
        )
        rows = await chat_stats(session=session, day=DAY)
    assert [(r.chat_id, r.title, r.today, r.today_failed, r.total, r.failed) for r in rows] == [
        (GROUP, "Artists", 2, 1, 3, 2),
        (USER, None, 1, 0, 1, 0),
    ]


def test_the_quota_day_ends_at_midnight_in_its_zone() -> None:
    now = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
    utc = quota_window(now)
    assert utc.day == "2026-11-25"
    assert utc.starts_at == datetime(2026, 11, 25, tzinfo=UTC)
    assert utc.resets_at == datetime(2026, 11, 26, tzinfo=UTC)

    shanghai = quota_window(now, zone("Asia/Shanghai"))  # 23:30 there
    assert shanghai.day == "2026-11-25"
    assert shanghai.resets_at == datetime(2026, 11, 25, 16, tzinfo=UTC)
    later = quota_window(datetime(2026, 11, 25, 16, 0, tzinfo=UTC), zone("Asia/Shanghai"))
    assert later.day == "2026-11-26"

    # The day clocks go back in New York lasts 25 hours.
    fall_back = quota_window(datetime(2026, 11, 1, 12, tzinfo=UTC), zone("America/New_York"))
    assert fall_back.resets_at - fall_back.starts_at == (
        datetime(2026, 11, 2, 5, tzinfo=UTC) - datetime(2026, 11, 1, 4, tzinfo=UTC)
    )


def test_unknown_zones_are_refused() -> None:
    assert zone("UTC") is UTC
    with pytest.raises(ValueError, match="Mars/Base"):
        zone("Mars/Base")

"""Chats and their members: access, bans, quota overrides, the quota day, and migration.

The `Chat` row (storage.models) holds the chat-wide settings; `Member` and `DeniedNotice` are
new tables, so adding them needs no change to an existing table (create_all makes them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import BigInteger, DateTime, Table, case, delete, exists, func, inspect, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Chat, Job, JobStatus, QuotaEntry, utcnow
from storage.quota import used_units


def _bigint(**kwargs: Any) -> Any:
    # Telegram ids exceed 32 bits; SQLite does not care, Postgres does.
    return Field(sa_type=BigInteger, **kwargs)  # type: ignore[call-overload]


def _ts(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)  # type: ignore[call-overload]


# What admins decided about one member of one chat (a user, or a channel posting in a group).
class Member(SQLModel, table=True):
    chat_id: int = _bigint(primary_key=True)
    user_id: int = _bigint(primary_key=True)
    banned: bool = False
    daily_quota: int | None = None  # None: USER_DAILY_QUOTA
    updated_at: datetime = _ts(default_factory=utcnow)


# A chat that is not allowed was told so once; the row keeps it from being told again.
class DeniedNotice(SQLModel, table=True):
    chat_id: int = _bigint(primary_key=True)
    sent_at: datetime = _ts(default_factory=utcnow)


# ---------------------------------------------------------------- the quota day


def zone(name: str) -> tzinfo:
    """The time zone called `name` ("UTC", "Asia/Shanghai"...); ValueError if unknown."""
    if name.upper() in ("UTC", "Z", ""):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@dataclass(frozen=True, slots=True)
class QuotaDay:
    day: str  # YYYY-MM-DD in the quota zone, the QuotaEntry.day key
    starts_at: datetime  # in UTC
    resets_at: datetime  # in UTC: the next midnight in the quota zone


def quota_window(now: datetime | None = None, tz: tzinfo = UTC) -> QuotaDay:
    """The quota day containing `now`, and when it began and ends (midnight in `tz`)."""
    local = (now or datetime.now(UTC)).astimezone(tz)
    start = datetime.combine(local.date(), time(0), tzinfo=tz)
    end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz)
    return QuotaDay(local.date().isoformat(), start.astimezone(UTC), end.astimezone(UTC))


# ---------------------------------------------------------------- chats


async def get_chat(*, session: AsyncSession, chat_id: int) -> Chat | None:
    return await session.get(Chat, chat_id)


async def ensure_chat(
    *, session: AsyncSession, chat_id: int, type: str | None = None, title: str | None = None
) -> Chat:
    """The chat's row, created on first use; type and title are refreshed when given."""
    chat = await session.get(Chat, chat_id)
    if chat is None:
        chat = Chat(id=chat_id, type=type or ("group" if chat_id < 0 else "private"))
    if type:
        chat.type = type
    if title:
        chat.title = title
    session.add(chat)
    await session.flush()
    return chat


def chat_allowed(chat: Chat | None, chat_id: int, allowed_ids: frozenset[int]) -> bool:
    """/allow and /deny (the row) win; otherwise ALLOWED_CHAT_IDS, where empty means all."""
    if chat is not None and chat.allowed is not None:
        return chat.allowed
    return not allowed_ids or chat_id in allowed_ids


async def set_allowed(
    *,
    session: AsyncSession,
    chat_id: int,
    allowed: bool,
    type: str | None = None,
    title: str | None = None,
) -> Chat:
    """Record /allow or /deny; allowing also forgets the notice, so a later /deny tells again."""
    chat = await ensure_chat(session=session, chat_id=chat_id, type=type, title=title)
    chat.allowed = allowed
    session.add(chat)
    if allowed:
        notice = await session.get(DeniedNotice, chat_id)
        if notice is not None:
            await session.delete(notice)
    await session.flush()
    return chat


async def claim_denied_notice(*, session: AsyncSession, chat_id: int) -> bool:
    """True exactly once per chat: the caller then sends the one "not allowed" reply.

    On SQLite the single connection serialises transactions, so two updates cannot both claim;
    on Postgres the loser of a race fails its commit on the primary key instead.
    """
    if await session.get(DeniedNotice, chat_id) is not None:
        return False
    session.add(DeniedNotice(chat_id=chat_id))
    await session.flush()
    return True


async def set_chat_quota(
    *,
    session: AsyncSession,
    chat_id: int,
    limit: int | None,
    type: str | None = None,
    title: str | None = None,
) -> Chat:
    """The group's daily pool; None goes back to CHAT_DAILY_QUOTA."""
    chat = await ensure_chat(session=session, chat_id=chat_id, type=type, title=title)
    chat.daily_quota = limit
    session.add(chat)
    await session.flush()
    return chat


async def set_chat_language(*, session: AsyncSession, chat_id: int, language: str | None) -> Chat:
    """The language the bot speaks in this chat; None: each user's Telegram language."""
    chat = await ensure_chat(session=session, chat_id=chat_id)
    chat.language = language
    session.add(chat)
    await session.flush()
    return chat


# ---------------------------------------------------------------- members


async def get_member(*, session: AsyncSession, chat_id: int, user_id: int) -> Member | None:
    return await session.get(Member, (chat_id, user_id))


async def _member(session: AsyncSession, chat_id: int, user_id: int) -> Member:
    member = await session.get(Member, (chat_id, user_id))
    return member or Member(chat_id=chat_id, user_id=user_id)


async def set_member_quota(
    *, session: AsyncSession, chat_id: int, user_id: int, limit: int | None
) -> Member:
    """One member's daily cap in this chat; None goes back to USER_DAILY_QUOTA."""
    member = await _member(session, chat_id, user_id)
    member.daily_quota = limit
    member.updated_at = utcnow()
    session.add(member)
    await session.flush()
    return member


async def set_banned(*, session: AsyncSession, chat_id: int, user_id: int, banned: bool) -> Member:
    member = await _member(session, chat_id, user_id)
    member.banned = banned
    member.updated_at = utcnow()
    session.add(member)
    await session.flush()
    return member


async def is_banned(*, session: AsyncSession, chat_id: int, user_id: int) -> bool:
    member = await session.get(Member, (chat_id, user_id))
    return member is not None and member.banned


# ---------------------------------------------------------------- quota limits and usage


async def limits_for(
    *,
    session: AsyncSession,
    chat_id: int,
    chat_is_group: bool,
    user_id: int | None,
    chat_default: int,
    user_default: int,
) -> tuple[int | None, int | None]:
    """(chat limit, user limit) for storage.quota.reserve: overrides first, then defaults.

    Private chats have no pool (None); a job without a user (e.g. a channel) has no user cap.
    """
    chat_limit: int | None = None
    if chat_is_group:
        chat = await session.get(Chat, chat_id)
        override = chat.daily_quota if chat is not None else None
        chat_limit = chat_default if override is None else override
    user_limit: int | None = None
    if user_id is not None:
        member = await session.get(Member, (chat_id, user_id))
        override = member.daily_quota if member is not None else None
        user_limit = user_default if override is None else override
    return chat_limit, user_limit


@dataclass(frozen=True, slots=True)
class Usage:
    chat_used: int
    chat_limit: int | None
    user_used: int
    user_limit: int | None

    @property
    def chat_left(self) -> int | None:
        return None if self.chat_limit is None else max(0, self.chat_limit - self.chat_used)

    @property
    def user_left(self) -> int | None:
        return None if self.user_limit is None else max(0, self.user_limit - self.user_used)


async def usage(
    *,
    session: AsyncSession,
    day: str,
    chat_id: int,
    chat_is_group: bool,
    user_id: int | None,
    chat_default: int,
    user_default: int,
) -> Usage:
    """What /quota shows: units used today and the limits that apply, for chat and user."""
    chat_limit, user_limit = await limits_for(
        session=session,
        chat_id=chat_id,
        chat_is_group=chat_is_group,
        user_id=user_id,
        chat_default=chat_default,
        user_default=user_default,
    )
    chat_used = await used_units(session=session, day=day, chat_id=chat_id)
    user_used = (
        await used_units(session=session, day=day, chat_id=chat_id, user_id=user_id)
        if user_id is not None
        else 0
    )
    return Usage(chat_used, chat_limit, user_used, user_limit)


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True, slots=True)
class ChatStats:
    chat_id: int
    title: str | None
    today: int
    today_failed: int
    total: int
    failed: int


async def chat_stats(*, session: AsyncSession, day: str, limit: int = 20) -> list[ChatStats]:
    """Jobs per chat, busiest first: today's (by quota day) and all-time, with failures."""
    failed = case((col(Job.status) == JobStatus.FAILED, 1), else_=0)
    totals = await session.exec(
        select(Job.chat_id, func.count(), func.sum(failed))  # type: ignore[call-overload]
        .group_by(col(Job.chat_id))
        .order_by(func.count().desc(), col(Job.chat_id))
        .limit(limit)
    )
    rows = [(int(chat_id), int(total), int(fails or 0)) for chat_id, total, fails in totals]
    chat_ids = [chat_id for chat_id, _, _ in rows]
    # "Today" follows the quota ledger's day, so it agrees with /quota in any time zone.
    today_rows = await session.exec(
        select(QuotaEntry.chat_id, func.count(), func.sum(failed))  # type: ignore[call-overload]
        .join(Job, col(Job.id) == col(QuotaEntry.job_id))
        .where(col(QuotaEntry.day) == day, col(QuotaEntry.chat_id).in_(chat_ids))
        .group_by(col(QuotaEntry.chat_id))
    )
    today = {int(chat_id): (int(n), int(fails or 0)) for chat_id, n, fails in today_rows}
    titles = {
        chat.id: chat.title
        for chat in await session.exec(select(Chat).where(col(Chat.id).in_(chat_ids)))
    }
    return [
        ChatStats(chat_id, titles.get(chat_id), *today.get(chat_id, (0, 0)), total, fails)
        for chat_id, total, fails in rows
    ]


# ---------------------------------------------------------------- group → supergroup


async def migrate_chat(*, session: AsyncSession, old_id: int, new_id: int) -> bool:
    """Move everything keyed by the old chat id to the new one; False if nothing was left.

    Every table with a `chat_id` column moves, including tables added after this was written
    (jobs, button tokens, the quota ledger, pending replies, chat settings...). Telegram reports
    a migration twice (a service message in each chat) and PTB may raise ChatMigrated on a send
    as well, so a second call finds nothing and changes nothing.
    """
    if old_id == new_id:
        return False
    moved = await _move_chat_row(session, old_id, new_id)
    moved = await _move_members(session, old_id, new_id) or moved
    for table in await _chat_tables(session):
        moved = await _move_rows(session, table, old_id, new_id) or moved
    await session.flush()
    return moved


async def _chat_tables(session: AsyncSession) -> list[Table]:
    """The tables keyed by a chat id that exist in this database (Member merges itself)."""
    existing = set(
        await session.run_sync(lambda sync: inspect(sync.connection()).get_table_names())
    )
    return [
        table
        for table in SQLModel.metadata.sorted_tables
        if "chat_id" in table.c and table.name in existing and table.name != Member.__tablename__
    ]


async def _move_rows(session: AsyncSession, table: Table, old_id: int, new_id: int) -> bool:
    """UPDATE chat_id; where chat_id is part of the key, a row the new chat has already wins."""
    if "chat_id" in table.primary_key.columns:
        twin = table.alias("twin")
        same_key = [
            twin.c[column.name] == column
            for column in table.primary_key.columns
            if column.name != "chat_id"
        ]
        clash = exists().where(twin.c.chat_id == new_id, *same_key)
        await session.exec(  # type: ignore[call-overload]
            delete(table).where(table.c.chat_id == old_id, clash)
        )
    result = await session.exec(  # type: ignore[call-overload]
        update(table).where(table.c.chat_id == old_id).values(chat_id=new_id)
    )
    return bool(result.rowcount)


async def _move_chat_row(session: AsyncSession, old_id: int, new_id: int) -> bool:
    old = await session.get(Chat, old_id)
    if old is None:
        return False
    new = await session.get(Chat, new_id)
    if new is None:
        new = Chat(id=new_id, title=old.title, created_at=old.created_at)
    # Settings made in the new chat already (rare) win over the old ones.
    new.type = "supergroup"
    new.title = new.title or old.title
    new.allowed = old.allowed if new.allowed is None else new.allowed
    new.daily_quota = old.daily_quota if new.daily_quota is None else new.daily_quota
    new.language = old.language if new.language is None else new.language
    await session.delete(old)
    await session.flush()  # the old primary key goes before the new row comes
    session.add(new)
    return True


async def _move_members(session: AsyncSession, old_id: int, new_id: int) -> bool:
    olds: Sequence[Member] = (
        await session.exec(select(Member).where(col(Member.chat_id) == old_id))
    ).all()
    for old in olds:
        new = await session.get(Member, (new_id, old.user_id))
        if new is None:
            new = Member(chat_id=new_id, user_id=old.user_id)
        new.banned = new.banned or old.banned
        new.daily_quota = old.daily_quota if new.daily_quota is None else new.daily_quota
        await session.delete(old)
        await session.flush()
        session.add(new)
    return bool(olds)

"""Chats and their members: access, bans, quota overrides and the quota day.

The `Chat` row (storage.models) holds the chat-wide settings; `Member` and `DeniedNotice` are
new tables, so adding them needs no change to an existing table (create_all makes them). The
limits that apply and what is used of them are storage/limits.py's, jobs per chat
storage/chat_stats.py's, and a group's move to a supergroup storage/chat_migration.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import BigInteger, DateTime
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Chat, utcnow


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

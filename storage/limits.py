"""The daily quota that applies to a job, and what is used of it: a member's or a chat's
override (storage/chats.py) first, then the configured default."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.chats import Member
from storage.models import Chat
from storage.quota import used_units


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

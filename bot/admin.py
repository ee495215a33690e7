"""Who may run admin commands: operators (ADMIN_USER_IDS) and the chat's Telegram admins.

A chat's administrators come from getChatAdministrators, kept for a short while per chat so a
burst of commands costs one Bot API call. Anonymous admins post as GroupAnonymousBot with the
group itself as `sender_chat`; any other `sender_chat` (a linked channel, a member posting as
their channel) is never an admin, whatever user id Telegram puts in `from`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram import Bot, Chat, Message, MessageEntity
from telegram.error import TelegramError

from bot.services import BotContext

_log = logging.getLogger(__name__)

# Long enough to absorb a burst, short enough that a demoted admin loses power quickly.
ADMIN_CACHE_TTL_S = 60.0
_CACHE_KEY = "admin_cache"


class AdminCache:
    """Each group's admin user ids, fetched with getChatAdministrators and kept `ttl` seconds."""

    def __init__(
        self, ttl: float = ADMIN_CACHE_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[int, tuple[float, frozenset[int]]] = {}

    async def admins(self, bot: Bot, chat_id: int) -> frozenset[int]:
        """The admins' user ids; empty when Telegram will not say (then nobody is admin)."""
        entry = self._entries.get(chat_id)
        if entry is not None and self._clock() - entry[0] < self._ttl:
            return entry[1]
        try:
            members = await bot.get_chat_administrators(chat_id)
        except TelegramError:
            _log.warning("admin list unavailable", extra={"chat_id": chat_id}, exc_info=True)
            return frozenset()  # not cached: the next command asks again
        ids = frozenset(member.user.id for member in members)
        self._entries[chat_id] = (self._clock(), ids)
        return ids

    def forget(self, chat_id: int) -> None:
        self._entries.pop(chat_id, None)


def admin_cache(context: BotContext) -> AdminCache:
    """The application's cache (one per application, so tests never share one)."""
    cache = context.bot_data.get(_CACHE_KEY)
    if cache is None:
        cache = context.bot_data[_CACHE_KEY] = AdminCache()
    return cache  # type: ignore[no-any-return]


def is_operator(context: BotContext, user_id: int | None) -> bool:
    return user_id is not None and user_id in context.services.settings.admin_user_ids


def is_anonymous_admin(message: Message) -> bool:
    """An admin posting as the group: Telegram sets sender_chat to the group itself."""
    return message.sender_chat is not None and message.sender_chat.id == message.chat.id


def sender_id(message: Message) -> int | None:
    """Who sent the message, for bans and caps: a channel speaking in a group is its own sender.

    GroupAnonymousBot and Channel_Bot stand in `from` for many senders, so the real identity is
    `sender_chat` whenever there is one (for anonymous admins that is the group itself).
    """
    if message.sender_chat is not None:
        return message.sender_chat.id
    return message.from_user.id if message.from_user else None


async def is_chat_admin(context: BotContext, message: Message) -> bool:
    """May the sender of `message` manage this chat (quota, bans)?"""
    if message.sender_chat is not None:
        return is_anonymous_admin(message)
    user = message.from_user
    if user is None:
        return False
    if is_operator(context, user.id):
        return True
    if message.chat.type == Chat.PRIVATE:
        return False
    return user.id in await admin_cache(context).admins(context.bot, message.chat.id)


async def is_admin_id(context: BotContext, chat_id: int, user_id: int) -> bool:
    """Is this member (e.g. the target of /ban) an operator or an admin of the chat?"""
    if is_operator(context, user_id) or user_id == chat_id:
        return True
    return user_id in await admin_cache(context).admins(context.bot, chat_id)


def command_of(message: Message, bot_username: str | None) -> str | None:
    """The /command a message (or a photo's caption) starts with, if addressed to this bot."""
    body = message.text if message.text is not None else message.caption
    entity = next(iter(message.entities or message.caption_entities), None)
    if body is None or entity is None:
        return None
    if entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
        return None
    name, _, target = body[1 : entity.length].partition("@")
    if target and (bot_username is None or target.lower() != bot_username.lower()):
        return None
    return name.lower()

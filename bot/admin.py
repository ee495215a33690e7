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

from telegram import Bot, Chat, Message
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


def replied(message: Message) -> Message | None:
    """The message this one answers; in forums every message "replies" to its topic's root."""
    answered = message.reply_to_message
    if answered is None or answered.forum_topic_created is not None:
        return None
    return answered


def member_target(message: Message) -> tuple[int, str] | None:
    """The member whose message was replied to: a user, or a channel speaking in the group.

    An anonymous admin comes back as the chat itself (never bannable: it is an admin).
    """
    answered = replied(message)
    if answered is None:
        return None
    if answered.sender_chat is not None:
        sender = answered.sender_chat
        return sender.id, sender.title or sender.effective_name or str(sender.id)
    user = answered.from_user
    if user is None or user.is_bot:
        return None
    return user.id, user.full_name


async def require_group_admin(context: BotContext, message: Message) -> bool:
    """Groups only, and only their admins (operators included); answers the refusal itself."""
    _ = context.texts
    if message.chat.type == Chat.PRIVATE:
        await message.reply_text(_("That command works in groups only."))
        return False
    if not await is_chat_admin(context, message):
        await message.reply_text(_("Sorry, only the group's admins can do that."))
        return False
    return True


async def require_operator(context: BotContext, message: Message) -> bool:
    """The bot's operators (ADMIN_USER_IDS) only, never a message sent as a chat."""
    user = message.from_user
    if message.sender_chat is None and is_operator(context, user.id if user else None):
        return True
    _ = context.texts
    await message.reply_text(_("Sorry, only the bot's operators can do that."))
    return False

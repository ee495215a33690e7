"""/quota for all; /setquota, /ban, /unban for chat admins; /allow, /deny, /stats for operators."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Final

from telegram import Chat, Message, Update
from telegram.ext import CommandHandler, filters

from bot.admin import is_admin_id, is_chat_admin, is_operator
from bot.services import BotContext
from bot.texts import language_of
from bot.texts_admin import text
from storage.chats import (
    QuotaDay,
    chat_stats,
    get_chat,
    quota_window,
    set_allowed,
    set_banned,
    set_chat_quota,
    set_member_quota,
    usage,
)
from storage.models import JobKind

# Far above any real need, low enough that a typo ("/setquota 5000000000") is caught.
MAX_QUOTA: Final = 100_000
_DEFAULT_WORDS: Final = frozenset({"default", "reset"})


def _lang(update: Update) -> str:
    return language_of(update.effective_user.language_code if update.effective_user else None)


def _message(update: Update) -> Message:
    assert update.effective_message is not None
    return update.effective_message


def _reset_text(lang: str, window: QuotaDay, now: datetime | None = None) -> str:
    minutes_left = math.ceil((window.resets_at - (now or datetime.now(UTC))).total_seconds() / 60)
    hours, minutes = divmod(max(0, minutes_left), 60)
    when = window.resets_at.strftime("%H:%M")
    return text(lang, "quota_reset", time=when, hours=hours, minutes=minutes)


async def quota(update: Update, context: BotContext) -> None:
    """Show what is left today for the chat and for the caller, and when it resets."""
    message = _message(update)
    chat = message.chat
    lang = _lang(update)
    settings = context.services.settings
    window = quota_window(tz=settings.quota_tz)
    in_group = chat.type != Chat.PRIVATE
    # The same user id that reserve_job charges (GroupAnonymousBot for anonymous admins).
    user_id = update.effective_user.id if update.effective_user else None
    async with context.services.db.transaction() as session:
        used = await usage(
            session=session,
            day=window.day,
            chat_id=chat.id,
            chat_is_group=in_group,
            user_id=user_id,
            chat_default=settings.chat_daily_quota,
            user_default=settings.user_daily_quota,
        )
    values = {
        "chat_left": used.chat_left,
        "chat_limit": used.chat_limit,
        "user_left": "—" if used.user_left is None else used.user_left,
        "user_limit": "—" if used.user_limit is None else used.user_limit,
        "reset": _reset_text(lang, window),
    }
    body = text(lang, "quota_group" if in_group else "quota_private", **values)
    video = text(lang, "quota_video", cost=settings.cost_of(JobKind.VIDEO))
    await message.reply_text(f"{body}\n{video}")


def _parse_limit(words: list[str]) -> tuple[bool, int | None]:
    """(valid, limit) for "<n>" or "default"; limit None means "back to the default"."""
    if len(words) != 1:
        return False, None
    word = words[0].lower()
    if word in _DEFAULT_WORDS:
        return True, None
    if word.isdigit() and int(word) <= MAX_QUOTA:
        return True, int(word)
    return False, None


def _replied(message: Message) -> Message | None:
    """The message this one answers; in forums every message "replies" to its topic's root."""
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None:
        return None
    return replied


def _member_target(message: Message) -> tuple[int, str] | None:
    """The member whose message was replied to: a user, or a channel speaking in the group.

    An anonymous admin comes back as the chat itself (never bannable: it is an admin).
    """
    replied = _replied(message)
    if replied is None:
        return None
    if replied.sender_chat is not None:
        sender = replied.sender_chat
        return sender.id, sender.title or sender.effective_name or str(sender.id)
    user = replied.from_user
    if user is None or user.is_bot:
        return None
    return user.id, user.full_name


async def _may_manage(update: Update, context: BotContext, lang: str) -> bool:
    """Groups only, and only their admins (operators included); answers the refusal itself."""
    message = _message(update)
    if message.chat.type == Chat.PRIVATE:
        await message.reply_text(text(lang, "groups_only"))
        return False
    if not await is_chat_admin(context, message):
        await message.reply_text(text(lang, "admin_only"))
        return False
    return True


async def setquota(update: Update, context: BotContext) -> None:
    """Set the group's daily pool, or (replying to a member) that member's daily cap."""
    message = _message(update)
    lang = _lang(update)
    if not await _may_manage(update, context, lang):
        return
    args = list(context.args or [])
    if args[:1] and args[0].lower() == "user":
        await _set_member_quota(update, context, lang, args[1:])
        return
    valid, limit = _parse_limit(args)
    if not valid:
        await _reply_usage(message, context, lang)
        return
    chat = message.chat
    async with context.services.db.transaction() as session:
        await set_chat_quota(
            session=session, chat_id=chat.id, limit=limit, type=chat.type, title=chat.title
        )
    if limit is None:
        default = context.services.settings.chat_daily_quota
        await message.reply_text(text(lang, "setquota_chat_default", limit=default))
    else:
        await message.reply_text(text(lang, "setquota_chat", limit=limit))


async def _reply_usage(message: Message, context: BotContext, lang: str) -> None:
    settings = context.services.settings
    async with context.services.db.transaction() as session:
        row = await get_chat(session=session, chat_id=message.chat.id)
    override = row.daily_quota if row is not None else None
    body = text(
        lang,
        "setquota_usage",
        chat_limit=settings.chat_daily_quota if override is None else override,
        chat_default=settings.chat_daily_quota,
        user_default=settings.user_daily_quota,
    )
    await message.reply_text(body)


async def _set_member_quota(
    update: Update, context: BotContext, lang: str, words: list[str]
) -> None:
    message = _message(update)
    settings = context.services.settings
    valid, limit = _parse_limit(words)
    if not valid:
        await _reply_usage(message, context, lang)
        return
    target = _member_target(message)
    if target is None:
        await message.reply_text(text(lang, "reply_to_member"))
        return
    replied = _replied(message)
    if replied is not None and replied.sender_chat is not None:
        # Jobs are charged to `from`, which a channel shares with every other channel.
        await message.reply_text(text(lang, "not_a_member"))
        return
    user_id, name = target
    async with context.services.db.transaction() as session:
        await set_member_quota(
            session=session, chat_id=message.chat.id, user_id=user_id, limit=limit
        )
    if limit is None:
        body = text(lang, "setquota_user_default", name=name, limit=settings.user_daily_quota)
    else:
        body = text(lang, "setquota_user", name=name, limit=limit)
    await message.reply_text(body)


async def _set_ban(update: Update, context: BotContext, *, banned: bool) -> None:
    message = _message(update)
    lang = _lang(update)
    if not await _may_manage(update, context, lang):
        return
    target = _member_target(message)
    if target is None:
        await message.reply_text(text(lang, "reply_to_member"))
        return
    user_id, name = target
    if banned and await is_admin_id(context, message.chat.id, user_id):
        await message.reply_text(text(lang, "ban_admin"))
        return
    async with context.services.db.transaction() as session:
        await set_banned(session=session, chat_id=message.chat.id, user_id=user_id, banned=banned)
    await message.reply_text(text(lang, "ban_done" if banned else "unban_done", name=name))


async def ban(update: Update, context: BotContext) -> None:
    """Stop the member replied to from using the bot in this group."""
    await _set_ban(update, context, banned=True)


async def unban(update: Update, context: BotContext) -> None:
    """Let the member replied to use the bot in this group again."""
    await _set_ban(update, context, banned=False)


def _operator(update: Update, context: BotContext) -> bool:
    message = _message(update)
    user = update.effective_user
    return message.sender_chat is None and is_operator(context, user.id if user else None)


async def _set_access(update: Update, context: BotContext, *, allowed: bool) -> None:
    message = _message(update)
    lang = _lang(update)
    if not _operator(update, context):
        await message.reply_text(text(lang, "operator_only"))
        return
    args = list(context.args or [])
    chat = message.chat
    if not args:
        chat_id, chat_type, title = chat.id, chat.type, chat.title
    elif len(args) == 1 and args[0].lstrip("-").isdigit():
        chat_id, chat_type, title = int(args[0]), None, None
    else:
        await message.reply_text(text(lang, "allow_usage"))
        return
    async with context.services.db.transaction() as session:
        await set_allowed(
            session=session, chat_id=chat_id, allowed=allowed, type=chat_type, title=title
        )
    await message.reply_text(text(lang, "allow_done" if allowed else "deny_done", chat_id=chat_id))


async def allow(update: Update, context: BotContext) -> None:
    """Let this chat (or the chat id given) use the bot."""
    await _set_access(update, context, allowed=True)


async def deny(update: Update, context: BotContext) -> None:
    """Stop this chat (or the chat id given) from using the bot."""
    await _set_access(update, context, allowed=False)


async def stats(update: Update, context: BotContext) -> None:
    """Jobs per chat (today and in all), failures, and the Midjourney queue."""
    message = _message(update)
    lang = _lang(update)
    if not _operator(update, context):
        await message.reply_text(text(lang, "operator_only"))
        return
    services = context.services
    window = quota_window(tz=services.settings.quota_tz)
    async with services.db.transaction() as session:
        rows = await chat_stats(session=session, day=window.day)
    dispatcher = services.dispatcher
    lines = [text(lang, "stats_queue", running=dispatcher.in_flight, waiting=dispatcher.waiting)]
    for account in dispatcher.accounts.values():
        state = (
            text(lang, "stats_healthy")
            if account.paused is None
            else text(lang, "stats_paused", reason=account.paused)
        )
        lines.append(
            text(
                lang,
                "stats_account",
                account=account.name,
                running=account.running,
                concurrency=account.concurrency,
                state=state,
            )
        )
    for row in rows:
        label = f"{row.title} ({row.chat_id})" if row.title else str(row.chat_id)
        lines.append(
            text(
                lang,
                "stats_chat",
                chat=label,
                today=row.today,
                today_failed=row.today_failed,
                total=row.total,
                failed=row.failed,
            )
        )
    if not rows:
        lines.append(text(lang, "stats_none"))
    await message.reply_text("\n".join(lines))


# Edited commands are not run again: an edit of "/ban" must not ban twice or someone else.
_NEW = filters.UpdateType.MESSAGE
HANDLERS = [
    CommandHandler("quota", quota, filters=_NEW),
    CommandHandler("setquota", setquota, filters=_NEW),
    CommandHandler("ban", ban, filters=_NEW),
    CommandHandler("unban", unban, filters=_NEW),
    CommandHandler("allow", allow, filters=_NEW),
    CommandHandler("deny", deny, filters=_NEW),
    CommandHandler("stats", stats, filters=_NEW),
]

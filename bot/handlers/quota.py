"""/quota for everyone and /setquota for a group's admins: jobs a day, what is left, when."""

from __future__ import annotations

from typing import Final

from telegram import Chat, Message, Update

from bot.admin import member_target, replied, require_group_admin
from bot.commands import new_commands
from bot.services import BotContext
from bot.texts import countdown
from storage.chats import get_chat, quota_window, set_chat_quota, set_member_quota
from storage.limits import Usage, usage
from storage.models import JobKind

# Far above any real need, low enough that a typo ("/setquota 5000000000") is caught.
MAX_QUOTA: Final = 100_000
_DEFAULT_WORDS: Final = frozenset({"default", "reset"})


async def _usage(context: BotContext, chat: Chat, user_id: int | None) -> Usage:
    settings = context.services.settings
    window = quota_window(tz=settings.quota_tz)
    async with context.services.db.transaction() as session:
        return await usage(
            session=session,
            day=window.day,
            chat_id=chat.id,
            chat_is_group=chat.type != Chat.PRIVATE,
            user_id=user_id,
            chat_default=settings.chat_daily_quota,
            user_default=settings.user_daily_quota,
        )


async def quota(update: Update, context: BotContext) -> None:
    """Show what is left today for the chat and for the caller, and when it resets."""
    message = update.effective_message
    assert message is not None
    _ = context.texts
    chat = message.chat
    # The same user id that reserve_job charges (GroupAnonymousBot for anonymous admins).
    user_id = update.effective_user.id if update.effective_user else None
    used = await _usage(context, chat, user_id)
    lines = []
    if chat.type != Chat.PRIVATE and used.chat_left is not None:
        lines.append(
            _.plural(
                "🎟 This group: {n} job left today of {limit}.",
                "🎟 This group: {n} jobs left today of {limit}.",
                used.chat_left,
                limit=used.chat_limit,
            )
        )
    if used.user_left is not None:
        lines.append(
            _.plural(
                "🎟 You: {n} job left today of {limit}.",
                "🎟 You: {n} jobs left today of {limit}.",
                used.user_left,
                limit=used.user_limit,
            )
        )
    lines.append(
        _(
            "The quota resets in {countdown}.",
            countdown=countdown(_, quota_window(tz=context.services.settings.quota_tz).resets_at),
        )
    )
    cost = context.services.settings.cost_of(JobKind.VIDEO)
    lines.append(_("🎞 A video costs {cost} pictures.", cost=cost))
    await message.reply_text("\n".join(lines))


def parse_limit(words: list[str]) -> tuple[bool, int | None]:
    """(valid, limit) for "<n>" or "default"; limit None means "back to the default"."""
    if len(words) != 1:
        return False, None
    word = words[0].lower()
    if word in _DEFAULT_WORDS:
        return True, None
    if word.isdigit() and int(word) <= MAX_QUOTA:
        return True, int(word)
    return False, None


async def setquota(update: Update, context: BotContext) -> None:
    """Set the group's daily pool, or (replying to a member) that member's daily cap."""
    message = update.effective_message
    assert message is not None
    if not await require_group_admin(context, message):
        return
    _ = context.texts
    args = list(context.args or [])
    if args[:1] and args[0].lower() == "user":
        await _set_member_quota(context, message, args[1:])
        return
    valid, limit = parse_limit(args)
    if not valid:
        await _reply_usage(message, context)
        return
    chat = message.chat
    async with context.services.db.transaction() as session:
        await set_chat_quota(
            session=session, chat_id=chat.id, limit=limit, type=chat.type, title=chat.title
        )
    used = await _usage(context, chat, None)
    left = used.chat_left if used.chat_left is not None else 0
    if limit is None:
        body = _.plural(
            "✅ This group is back to the default of {n} job a day: {left} left today.",
            "✅ This group is back to the default of {n} jobs a day: {left} left today.",
            context.services.settings.chat_daily_quota,
            left=left,
        )
    else:
        body = _.plural(
            "✅ This group can now run {n} job a day: {left} left today.",
            "✅ This group can now run {n} jobs a day: {left} left today.",
            limit,
            left=left,
        )
    await message.reply_text(body)


async def _reply_usage(message: Message, context: BotContext) -> None:
    settings = context.services.settings
    async with context.services.db.transaction() as session:
        row = await get_chat(session=session, chat_id=message.chat.id)
    override = row.daily_quota if row is not None else None
    _ = context.texts
    body = _(
        "Usage:\n"
        "/setquota <n> — the group's jobs a day (now {chat_limit})\n"
        "/setquota default — back to the default of {chat_default}\n"
        "/setquota user <n> — reply to a member to set their jobs a day "
        "(default {user_default})\n"
        "/setquota user default — reply to a member to remove their own limit",
        chat_limit=settings.chat_daily_quota if override is None else override,
        chat_default=settings.chat_daily_quota,
        user_default=settings.user_daily_quota,
    )
    await message.reply_text(body)


async def _set_member_quota(context: BotContext, message: Message, words: list[str]) -> None:
    _ = context.texts
    valid, limit = parse_limit(words)
    if not valid:
        await _reply_usage(message, context)
        return
    target = member_target(message)
    if target is None:
        await message.reply_text(_("Reply to a message of the member with this command."))
        return
    answered = replied(message)
    if answered is not None and answered.sender_chat is not None:
        # Jobs are charged to `from`, which a channel shares with every other channel.
        await message.reply_text(_("That message is not from a member I can set this for."))
        return
    user_id, name = target
    async with context.services.db.transaction() as session:
        await set_member_quota(
            session=session, chat_id=message.chat.id, user_id=user_id, limit=limit
        )
    used = await _usage(context, message.chat, user_id)
    left = used.user_left if used.user_left is not None else 0
    if limit is None:
        body = _.plural(
            "✅ {name} is back to the default of {n} job a day: {left} left today.",
            "✅ {name} is back to the default of {n} jobs a day: {left} left today.",
            context.services.settings.user_daily_quota,
            name=name,
            left=left,
        )
    else:
        body = _.plural(
            "✅ {name} can now run {n} job a day in this group: {left} left today.",
            "✅ {name} can now run {n} jobs a day in this group: {left} left today.",
            limit,
            name=name,
            left=left,
        )
    await message.reply_text(body)


HANDLERS = new_commands({"quota": quota, "setquota": setquota})

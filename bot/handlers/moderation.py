"""/ban and /unban: a group's admins turn the bot off (and on) for one member."""

from __future__ import annotations

from telegram import Update

from bot.admin import is_admin_id, member_target, require_group_admin
from bot.commands import new_commands
from bot.services import BotContext
from storage.chats import set_banned


async def _set_ban(update: Update, context: BotContext, *, banned: bool) -> None:
    message = update.effective_message
    assert message is not None
    if not await require_group_admin(context, message):
        return
    _ = context.texts
    target = member_target(message)
    if target is None:
        await message.reply_text(_("Reply to a message of the member with this command."))
        return
    user_id, name = target
    if banned and await is_admin_id(context, message.chat.id, user_id):
        await message.reply_text(_("Admins can't be banned."))
        return
    async with context.services.db.transaction() as session:
        await set_banned(session=session, chat_id=message.chat.id, user_id=user_id, banned=banned)
    if banned:
        await message.reply_text(
            _("🚫 {name} can no longer use the bot in this group.", name=name)
        )
    else:
        await message.reply_text(_("✅ {name} can use the bot in this group again.", name=name))


async def ban(update: Update, context: BotContext) -> None:
    """Stop the member replied to from using the bot in this group."""
    await _set_ban(update, context, banned=True)


async def unban(update: Update, context: BotContext) -> None:
    """Let the member replied to use the bot in this group again."""
    await _set_ban(update, context, banned=False)


HANDLERS = new_commands({"ban": ban, "unban": unban})

"""/resume: admins let jobs go to Midjourney again after fixing what it asked for."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.services import BotContext
from bot.texts import language_of, text


async def resume(update: Update, context: BotContext) -> None:
    """Resume sending jobs (ADMIN_USER_IDS only)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None
    lang = language_of(user.language_code if user else None)
    services = context.services
    if user is None or user.id not in services.settings.admin_user_ids:
        await message.reply_text(text(lang, "admins_only"))
        return
    if not services.dispatcher.status().any_paused:
        await message.reply_text(text(lang, "not_paused"))
        return
    await services.dispatcher.resume()
    await message.reply_text(text(lang, "resumed"))


HANDLERS = [CommandHandler("resume", resume)]

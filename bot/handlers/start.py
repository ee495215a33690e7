"""/start and /help."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler

from bot.services import BotContext
from bot.texts import language_of, text
from bridge.versions import VERSIONS


async def start(update: Update, context: BotContext) -> None:
    """Greet the user and show an example."""
    assert update.effective_message is not None
    lang = language_of(update.effective_user.language_code if update.effective_user else None)
    await update.effective_message.reply_text(text(lang, "start"))


async def help_command(update: Update, context: BotContext) -> None:
    """Explain the commands, the buttons and the quota."""
    assert update.effective_message is not None
    assert update.effective_chat is not None
    lang = language_of(update.effective_user.language_code if update.effective_user else None)
    settings = context.services.settings
    in_group = update.effective_chat.type != "private"
    chat_quota = (
        text(lang, "help_chat_quota", chat_quota=settings.chat_daily_quota) if in_group else ""
    )
    body = text(
        lang,
        "help",
        bot=context.bot.username,
        user_quota=settings.user_daily_quota,
        chat_quota=chat_quota,
        versions=", ".join(version.label for version in VERSIONS),
    )
    await update.effective_message.reply_text(body, parse_mode=ParseMode.HTML)


HANDLERS = [CommandHandler("start", start), CommandHandler("help", help_command)]

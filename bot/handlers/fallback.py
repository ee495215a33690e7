"""Replies for what the bot cannot use, and the one error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.services import BotContext
from bot.texts import language_of, text

_log = logging.getLogger(__name__)


async def unsupported(update: Update, context: BotContext) -> None:
    """Say what to send instead (private chats only: groups talk among themselves)."""
    assert update.effective_message is not None
    lang = language_of(update.effective_user.language_code if update.effective_user else None)
    await update.effective_message.reply_text(text(lang, "not_supported"))


async def stale_button(update: Update, context: BotContext) -> None:
    """Answer taps on keyboards we did not make (or made before a format change)."""
    assert update.callback_query is not None
    lang = language_of(update.callback_query.from_user.language_code)
    await update.callback_query.answer(text(lang, "button_unknown"), show_alert=True)


async def on_error(update: object, context: BotContext) -> None:
    """Log the error (never to the chat) and tell the user briefly."""
    _log.error("handler failed", exc_info=context.error)
    if not isinstance(update, Update):
        return
    lang = language_of(update.effective_user.language_code if update.effective_user else None)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text(lang, "internal_error"), show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text(lang, "internal_error"))
    except Exception:
        _log.warning("could not report the error to the chat", exc_info=True)


HANDLERS = [
    CallbackQueryHandler(stale_button),
    MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, unsupported),
]

"""Replies for what the bot cannot use, and the error handlers (refusals, then the rest)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.refusals import Refusal, answer_refusal
from bot.services import BotContext

_log = logging.getLogger(__name__)


async def unsupported(update: Update, context: BotContext) -> None:
    """Say what to send instead (private chats only: groups talk among themselves)."""
    assert update.effective_message is not None
    _ = context.texts
    await update.effective_message.reply_text(
        _(
            "I can't use that. Send me what to draw as text (or /imagine and a prompt), or a "
            "picture with a caption."
        )
    )


async def stale_button(update: Update, context: BotContext) -> None:
    """Answer taps on keyboards we did not make (or made before a format change)."""
    assert update.callback_query is not None
    _ = context.texts
    await update.callback_query.answer(_("This button has expired."), show_alert=True)


async def on_error(update: object, context: BotContext) -> None:
    """Answer a Refusal in the user's language; log anything else (never to the chat)."""
    if isinstance(context.error, Refusal):
        if isinstance(update, Update):
            await answer_refusal(update, context.bot, context.error, context.texts)
        return
    _log.error("handler failed", exc_info=context.error)
    if not isinstance(update, Update):
        return
    _ = context.texts
    body = _("😵 Something went wrong on my side. Please try again.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(body, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(body)
    except Exception:
        _log.warning("could not report the error to the chat", exc_info=True)


HANDLERS = [
    CallbackQueryHandler(stale_button),
    MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, unsupported),
]

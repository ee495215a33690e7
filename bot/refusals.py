"""Requests we turn down, as typed errors, and the one place that answers them.

Anything on the way from an update to a job (prompt checks, capacity, quota, pictures) raises
a `Refusal`; PTB routes it to the error handlers, where `answer_refusal` replies to the
request (or, for a tap, shows an alert) in the update's language. aiogram's typed error
routing is the model: handlers never catch and answer refusals themselves.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Bot, ReplyParameters, Update
from telegram.error import TelegramError

from bot.texts import N_, Texts, countdown, texts

_log = logging.getLogger(__name__)

BUSY = N_("😮‍💨 Midjourney is busy: {limit} jobs are already waiting. Please try again soon.")
PAUSED = N_(
    "⏸ Midjourney needs the bot's admin to look at the account. New jobs are on hold until "
    "then; please try again later."
)
UPLOAD_FAILED = N_(
    "❌ I could not pass your picture on to Midjourney. Please try again; your quota was not "
    "charged."
)


class Refusal(Exception):
    """A request we turn down: an English (N_-marked) text and its values."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message)
        self.message = message
        self.values = values

    def render(self, _: Texts) -> str:
        return _(self.message, **self.values)

    def text(self, lang: str) -> str:
        return self.render(texts(lang))


class QuotaRefusal(Refusal):
    """The chat's or the user's jobs for today are used up: say how many and when more come."""

    def __init__(self, scope: str, limit: int, resets_at: datetime) -> None:
        super().__init__(scope)
        self.scope = scope  # "chat" or "user"
        self.limit = limit
        self.resets_at = resets_at

    def render(self, _: Texts) -> str:
        wait = countdown(_, self.resets_at)
        if self.scope == "chat":
            return _.plural(
                "🎟 This group has used its {n} job for today: 0 left. More in {countdown}.",
                "🎟 This group has used its {n} jobs for today: 0 left. More in {countdown}.",
                self.limit,
                countdown=wait,
            )
        return _.plural(
            "🎟 You have used your {n} job for today: 0 left. More in {countdown}.",
            "🎟 You have used your {n} jobs for today: 0 left. More in {countdown}.",
            self.limit,
            countdown=wait,
        )


async def send_refusal(
    bot: Bot, chat_id: int, reply_to: int | None, refusal: Refusal, _: Texts
) -> None:
    """The refusal as a reply to the request it turns down."""
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    await bot.send_message(chat_id, refusal.render(_), reply_parameters=reply)


async def answer_refusal(update: Update, bot: Bot, refusal: Refusal, _: Texts) -> None:
    """Answer the update a Refusal came from: an alert for a tap, else a reply to the message."""
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(refusal.render(_), show_alert=True)
        elif (message := update.effective_message) is not None:
            await send_refusal(bot, message.chat.id, message.message_id, refusal, _)
    except TelegramError:
        _log.info("refusal not delivered", exc_info=True)

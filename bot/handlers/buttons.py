"""Taps on result keyboards: the callback_data is a token that storage maps to the action."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, ForceReply, MaybeInaccessibleMessage, ReplyParameters, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.keyboards import CALLBACK_PREFIX
from bot.services import BotContext
from bot.submission import Refusal, Request, launch_job, reserve_job
from bot.texts import language_of, text
from bot.video_jobs import button_kind
from bridge.buttons import classify
from storage.buttons import ask, mark_used, resolve_token
from storage.errors import UnknownToken
from storage.jobs import get_job
from storage.models import ButtonToken, Job, JobKind, JobStatus

_log = logging.getLogger(__name__)


def _once(custom_id: str | None) -> bool:
    """Upscaling the same picture again gives the same picture: such a button works once."""
    return classify(custom_id).once


async def _resolve(context: BotContext, data: str, chat_id: int) -> tuple[ButtonToken, Job] | None:
    """The button and its finished job, if the token exists and belongs to this chat."""
    try:
        async with context.services.db.transaction() as session:
            button = await resolve_token(
                session=session, token=data.removeprefix(CALLBACK_PREFIX), chat_id=chat_id
            )
            parent = await get_job(session=session, job_id=button.job_id)
    except UnknownToken:
        return None
    if parent is None or parent.status is not JobStatus.SUCCEEDED:
        return None
    return button, parent


async def answer(query: CallbackQuery, message: str | None = None, **options: bool) -> None:
    """Answer a tap; a failed answer (a dropped connection, an expired query) is logged and
    never stops what the tap started: the job and its message tell the rest."""
    try:
        await query.answer(message, **options)
    except TelegramError:
        _log.info("tap not answered", extra={"query_id": query.id}, exc_info=True)


async def ask_zoom(
    context: BotContext, message: MaybeInaccessibleMessage, parent: Job, button: ButtonToken
) -> None:
    """Ask for the zoom factor (and an optional new prompt) with a ForceReply question."""
    assert parent.id is not None
    assert button.custom_id is not None
    question = await context.bot.send_message(
        message.chat.id,
        text(parent.language, "ask_zoom"),
        reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
        reply_markup=ForceReply(input_field_placeholder="1.5"),
    )
    async with context.services.db.transaction() as session:
        await ask(
            session=session,
            chat_id=message.chat.id,
            message_id=question.message_id,
            job_id=parent.id,
            custom_id=button.custom_id,
            label=button.label,
        )


async def press(update: Update, context: BotContext) -> None:
    """Run the Midjourney button (or send the original) behind a tapped token."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    lang = language_of(query.from_user.language_code)
    message = query.message
    services = context.services
    found = await _resolve(context, query.data, message.chat.id) if message else None
    if found is None or message is None:
        await answer(query, text(lang, "button_unknown"), show_alert=True)
        return
    button, parent = found
    if button.used_at is not None:
        key = "button_used" if _once(button.custom_id) else "button_unknown"
        await answer(query, text(lang, key), show_alert=True)
        return

    if button.action == "ask_zoom":
        await answer(query)
        await ask_zoom(context, message, parent, button)
        return

    if button.action == "original":
        await answer(query)
        await context.bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_DOCUMENT)
        if await services.delivery.send_original(parent, message.message_id) is None:
            await message.reply_text(text(lang, "original_gone"))
        return

    common = {
        "chat_id": message.chat.id,
        "chat_is_group": message.chat.type != "private",
        "user_id": query.from_user.id,
        "language": lang,
        "reply_to": message.message_id,
    }
    if button.action == "imagine":  # a prompt suggested by /describe
        request = Request(**common, kind=JobKind.IMAGINE, prompt=button.text or "")
    else:
        request = Request(
            **common,
            kind=button_kind(button.custom_id, parent),
            prompt=parent.prompt,
            label=button.label,
            custom_id=button.custom_id,
            parent=parent,
        )
    try:
        job = await reserve_job(services, request)
    except Refusal as refusal:
        await answer(query, refusal.text(lang), show_alert=True)
        return
    if _once(button.custom_id):
        async with services.db.transaction() as session:
            await mark_used(session=session, button=button)
    # Answer before the slow part: Telegram shows a spinner until we do, and expires the query.
    # The job is booked already, so whatever becomes of the answer, it is launched.
    await answer(query, text(lang, "button_working"))
    await launch_job(services, context.bot, job)


HANDLERS = [CallbackQueryHandler(press, pattern=f"^{CALLBACK_PREFIX}")]

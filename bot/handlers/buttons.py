"""Taps on result keyboards: the callback_data is a token that storage maps to the action."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, ForceReply, MaybeInaccessibleMessage, ReplyParameters, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.callbacks import ResultButton
from bot.captions import action_label
from bot.services import BotContext
from bot.submission import Request, requester, submit
from bot.texts import N_
from bot.video_jobs import button_kind
from bridge.buttons import classify
from storage.buttons import ask, mark_used, resolve_token
from storage.errors import UnknownToken
from storage.jobs import get_job
from storage.models import ButtonToken, Job, JobKind, JobStatus

_log = logging.getLogger(__name__)


EXPIRED = N_("This button has expired.")
ALREADY_DONE = N_("Already done: that picture was upscaled above.")


def _once(custom_id: str | None) -> bool:
    """Upscaling the same picture again gives the same picture: such a button works once."""
    return classify(custom_id).once


async def _resolve(context: BotContext, data: str, chat_id: int) -> tuple[ButtonToken, Job] | None:
    """The button and its finished job, if the token exists and belongs to this chat."""
    tapped = ResultButton.unpack(data)
    if tapped is None:
        return None
    try:
        async with context.services.db.transaction() as session:
            button = await resolve_token(session=session, token=tapped.token, chat_id=chat_id)
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
    _ = context.texts
    question = await context.bot.send_message(
        message.chat.id,
        _(
            "🔎 Custom Zoom: reply with a zoom factor from 1 to 2, optionally followed by a new "
            "prompt, e.g. 1.5 a wider view of the bay"
        ),
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
    _ = context.texts
    message = query.message
    services = context.services
    found = await _resolve(context, query.data, message.chat.id) if message else None
    if found is None or message is None:
        await answer(query, _(EXPIRED), show_alert=True)
        return
    button, parent = found
    if button.used_at is not None:
        await answer(
            query, _(ALREADY_DONE if _once(button.custom_id) else EXPIRED), show_alert=True
        )
        return

    if button.action == "ask_zoom":
        await answer(query)
        await ask_zoom(context, message, parent, button)
        return

    if button.action == "original":
        await answer(query)
        await context.bot.send_chat_action(message.chat.id, ChatAction.UPLOAD_DOCUMENT)
        if await services.delivery.send_original(parent, message.message_id) is None:
            await message.reply_text(_("Sorry, the original file is no longer available."))
        return

    common = {
        "chat_id": message.chat.id,
        "chat_is_group": message.chat.type != "private",
        "user_id": query.from_user.id,
        "language": context.language,
        "reply_to": message.message_id,
        "requested_by": requester(message.chat, query.from_user),
    }
    if button.action == "imagine":  # a prompt suggested by /describe
        request = Request(**common, kind=JobKind.IMAGINE, prompt=button.text or "")
    else:
        request = Request(
            **common,
            kind=button_kind(button.custom_id, parent),
            prompt=parent.prompt,
            label=action_label(button.label or "", parent.label),
            custom_id=button.custom_id,
            parent=parent,
        )

    async def reserved(job: Job) -> None:
        if _once(button.custom_id):
            async with services.db.transaction() as session:
                await mark_used(session=session, button=button)
        # Answer before the slow part: Telegram shows a spinner until we do, and expires it.
        # The job is booked already, so whatever becomes of the answer, it is launched.
        await answer(query, _("On it…"))

    await submit(services, context.bot, request, on_reserved=reserved)


HANDLERS = [CallbackQueryHandler(press, pattern=ResultButton.pattern())]

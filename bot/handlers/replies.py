"""Answers to the bot's ForceReply questions (the custom zoom factor)."""

from __future__ import annotations

import re

from telegram import Chat, Update
from telegram.ext import MessageHandler, filters

from bot.handlers.imagine import plain_prompt
from bot.services import BotContext
from bot.submission import Request, requester, submit
from bot.video_delivery import MOTION_QUESTION
from storage.buttons import answered, close_question
from storage.jobs import get_job
from storage.models import JobKind

# "1.5" or "1.5 a wider view of the bay": the factor Midjourney accepts, then an optional prompt.
_ZOOM = re.compile(r"^\s*(\d(?:[.,]\d+)?)\s*(.*)$", re.DOTALL)


def zoom_answer(answer: str) -> tuple[float, str] | None:
    match = _ZOOM.match(answer)
    if match is None:
        return None
    factor = float(match.group(1).replace(",", "."))
    if not 1.0 <= factor <= 2.0:
        return None
    return factor, match.group(2).strip()


async def on_reply(update: Update, context: BotContext) -> None:
    """Run the button a question was about, with the answer filled into Midjourney's form."""
    message = update.effective_message
    assert message is not None
    assert message.reply_to_message is not None
    services = context.services
    async with services.db.transaction() as session:
        pending = await answered(
            session=session,
            chat_id=message.chat.id,
            message_id=message.reply_to_message.message_id,
        )
        parent = await get_job(session=session, job_id=pending.job_id) if pending else None
    if pending is None or parent is None:
        # Not an answer to a question: in a private chat text is still a prompt.
        if message.chat.type == Chat.PRIVATE:
            await plain_prompt(update, context)
        return
    user = update.effective_user
    _ = context.texts
    if pending.custom_id == MOTION_QUESTION:
        # The job itself waits on Midjourney's form: the words go straight into it.
        async with services.db.transaction() as session:
            await close_question(session=session, pending=pending)
        if not await services.dispatcher.answer(pending.job_id, message.text or ""):
            await message.reply_text(_("That question has expired; tap the button again."))
        return
    parsed = zoom_answer(message.text or "")
    if parsed is None:
        await message.reply_text(  # the question stays open
            _("Please reply with a number from 1 to 2 first, e.g. 1.5 or 1.8 a wider view.")
        )
        return
    async with services.db.transaction() as session:
        await close_question(session=session, pending=pending)
    factor, prompt = parsed
    request = Request(
        chat_id=message.chat.id,
        chat_is_group=message.chat.type != "private",
        user_id=user.id if user else None,
        language=context.language,
        kind=JobKind.ACTION,
        prompt=parent.prompt,
        reply_to=message.message_id,
        label=f"custom_zoom:{factor:g}",
        custom_id=pending.custom_id,
        parent=parent,
        modal_text=f"{prompt or parent.prompt} --zoom {factor:g}",
        requested_by=requester(message.chat, user),
    )
    await submit(services, context.bot, request)


HANDLERS = [MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, on_reply)]

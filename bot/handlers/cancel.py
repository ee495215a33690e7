"""✖️ Cancel under a job's status message: the requester or a group admin stops the job."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.admin import is_admin_id
from bot.callbacks import CancelJob
from bot.services import BotContext
from bot.texts import N_
from bridge.events import CancelOutcome
from storage.jobs import get_job

_log = logging.getLogger(__name__)

_ANSWERS = {
    CancelOutcome.CANCELLED: N_("Cancelled."),
    CancelOutcome.FINISHED: N_("Too late to cancel: this job has finished."),
    CancelOutcome.NOT_NOW: N_(
        "Midjourney cannot cancel this job right now; try again in a moment."
    ),
}


async def cancel(update: Update, context: BotContext) -> None:
    """Cancel the job behind a tapped ✖️ Cancel, if the tap is the requester's or an admin's."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _ = context.texts
    data = CancelJob.unpack(query.data)
    assert data is not None
    job_id = int(data.job_id)
    async with context.services.db.transaction() as session:
        job = await get_job(session=session, job_id=job_id)
    chat = query.message.chat if query.message is not None else None
    if job is None or chat is None or job.chat_id != chat.id:
        await query.answer(_("This button has expired."), show_alert=True)
        return
    user_id = query.from_user.id
    if user_id != job.user_id and not await is_admin_id(context, chat.id, user_id):
        await query.answer(
            _("Only the person who asked for this picture, or a group admin, can cancel it."),
            show_alert=True,
        )
        return
    outcome = await context.services.dispatcher.cancel(job_id)
    _log.info("cancel tapped", extra={"job_id": job_id, "outcome": outcome.value})
    await query.answer(_(_ANSWERS[outcome]), show_alert=outcome is not CancelOutcome.CANCELLED)


HANDLERS = [CallbackQueryHandler(cancel, pattern=CancelJob.pattern())]

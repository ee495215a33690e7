"""What chats are told when Midjourney pauses an account (bridge AccountPaused) and when it is
resumed: the admins what Midjourney wants, the waiting users why nothing moves.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.captions import HELD, admin_paused_text
from bot.status import StatusMessages
from bot.texts import SOURCE_LANGUAGE, texts
from bridge.events import AccountPaused
from storage.db import Database
from storage.jobs import get_job

_log = logging.getLogger(__name__)


async def announce_pause(
    bot: Bot,
    db: Database,
    status: StatusMessages,
    admin_ids: frozenset[int],
    event: AccountPaused,
) -> None:
    """Tell the admins what Midjourney wants, and waiting users why nothing moves."""
    for admin_id in admin_ids:
        try:
            body = admin_paused_text(texts(SOURCE_LANGUAGE), event.account, event.reason)
            await bot.send_message(admin_id, body)
        except TelegramError:
            _log.warning("could not reach an admin", extra={"admin_id": admin_id})
    await update_held(db, status, event.held, HELD)


async def update_held(
    db: Database, status: StatusMessages, job_ids: tuple[int, ...], message: str
) -> None:
    """Say `message` (on hold, back in the queue) in each job's status message."""
    for job_id in job_ids:
        async with db.transaction() as session:
            job = await get_job(session=session, job_id=job_id)
        if job is None or job.status_message_id is None:
            continue
        try:
            await status.edit(job, job.status_message_id, texts(job.language)(message))
        except TelegramError:
            _log.info("held job's status not updated", extra={"job_id": job_id})

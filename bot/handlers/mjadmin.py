"""/mjinfo, /fast and /relax: the Midjourney account's /info and mode, for operators only.

They run as jobs like any other (the dispatcher sends `command=job.kind.value`), so they wait
for a slot, are correlated and time out the same way; Delivery turns the result into text. They
draw nothing, so they take no quota: no ledger entry is made (charge and refund then find
nothing to settle), and Job.cost is 0 for the record.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.admin import is_operator
from bot.services import BotContext, Services
from bot.submission import Refusal, launch_job
from bot.texts import language_of, text
from bridge.errors import QueueFull
from storage.jobs import create_job
from storage.models import Job, JobKind, JobStatus


async def reserve_free_job(
    services: Services, *, chat_id: int, user_id: int, language: str, kind: JobKind, reply_to: int
) -> Job:
    """Store a queued job that costs no quota; Refusal("busy") when the queue is full."""
    try:
        services.dispatcher.check_capacity()
    except QueueFull as exc:
        raise Refusal("busy", limit=exc.limit) from exc
    job = Job(
        chat_id=chat_id,
        user_id=user_id,
        language=language,
        kind=kind,
        prompt="",  # these commands take no options
        cost=0,
        request_message_id=reply_to,
        status=JobStatus.QUEUED,
        **services.dispatcher.ownership(),
    )
    async with services.db.transaction() as session:
        return await create_job(session=session, job=job)


async def _run(update: Update, context: BotContext, kind: JobKind) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None
    lang = language_of(user.language_code if user else None)
    # Operators only: the account is shared by every chat, and its plan is private.
    if user is None or message.sender_chat is not None or not is_operator(context, user.id):
        await message.reply_text(text(lang, "operators_only"))
        return
    services = context.services
    try:
        job = await reserve_free_job(
            services,
            chat_id=message.chat.id,
            user_id=user.id,
            language=lang,
            kind=kind,
            reply_to=message.message_id,
        )
    except Refusal as refusal:
        await message.reply_text(refusal.text(lang))
        return
    await launch_job(services, context.bot, job)


async def mjinfo(update: Update, context: BotContext) -> None:
    """Show the account's plan, fast time left and queues (Midjourney's /info)."""
    await _run(update, context, JobKind.INFO)


async def fast(update: Update, context: BotContext) -> None:
    """Switch the account to fast mode."""
    await _run(update, context, JobKind.FAST)


async def relax(update: Update, context: BotContext) -> None:
    """Switch the account to relax mode."""
    await _run(update, context, JobKind.RELAX)


_NEW = filters.UpdateType.MESSAGE

HANDLERS = [
    CommandHandler("mjinfo", mjinfo, filters=_NEW),
    CommandHandler("fast", fast, filters=_NEW),
    CommandHandler("relax", relax, filters=_NEW),
]

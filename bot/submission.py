"""Turning a request (a command, a tap, an album, an answer) into a queued job.

`submit` is the one way in: `reserve_job` does the quick checks and books the quota in one
transaction (storage/jobs.py's `accept_job`), raising Refusal at once (so a tap is answered
before anything slow happens), and `launch_job` then posts the status message and hands the
job to the dispatcher.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from telegram import Bot, Chat, User
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.captions import SENDING
from bot.dedup import remember_in
from bot.keyboards import cancel_markup
from bot.metrics import quota_refused
from bot.pictures import Picture, to_prompt_urls, to_uploads
from bot.refusals import BUSY, PAUSED, UPLOAD_FAILED, QuotaRefusal, Refusal
from bot.services import Services
from bot.texts import texts
from bot.video_jobs import video_prompt
from bridge.errors import BridgeError, Paused, QueueFull
from storage.chats import quota_window
from storage.errors import QuotaExceeded
from storage.jobs import accept_job, fail_job, update_job
from storage.limits import limits_for
from storage.models import Job, JobKind, JobStatus, utcnow
from storage.quota import quota_day

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Request:
    chat_id: int
    chat_is_group: bool
    user_id: int | None
    language: str
    kind: JobKind
    prompt: str
    reply_to: int | None  # the Telegram message the status and the result answer
    label: str | None = None
    custom_id: str | None = None
    parent: Job | None = None
    pictures: tuple[Picture, ...] = ()
    modal_text: str | None = None
    requested_by: str | None = None  # in groups, the name the result's caption shows


def requester(chat: Chat, user: User | None) -> str | None:
    """Whom a result in a group is for (private chats need no name)."""
    if chat.type == Chat.PRIVATE or user is None:
        return None
    return user.first_name or user.full_name


OnReserved = Callable[[Job], Awaitable[None]]


async def submit(
    services: Services, bot: Bot, request: Request, *, on_reserved: OnReserved | None = None
) -> Job:
    """Reserve the job (or raise Refusal), run `on_reserved` (answer a tap), then launch it."""
    job = await reserve_job(services, request)
    if on_reserved is not None:
        await on_reserved(job)
    await launch_job(services, bot, job, request.pictures)
    return job


def check_capacity(services: Services) -> None:
    """Refusal when the queue is full or every Midjourney account is paused."""
    try:
        services.dispatcher.check_capacity()
    except QueueFull as exc:
        raise Refusal(BUSY, limit=exc.limit) from exc
    except Paused as exc:
        raise Refusal(PAUSED) from exc


async def reserve_job(services: Services, request: Request) -> Job:
    """Create the job and reserve its quota, or raise Refusal."""
    settings = services.settings
    check_capacity(services)
    parent = request.parent
    job = Job(
        chat_id=request.chat_id,
        user_id=request.user_id,
        requested_by=request.requested_by,
        language=request.language,
        kind=request.kind,
        prompt=request.prompt,
        label=request.label,
        custom_id=request.custom_id,
        parent_job_id=parent.id if parent else None,
        target_message_id=parent.result_message_id if parent else None,
        target_flags=parent.result_flags if parent else 0,
        account=parent.account if parent else None,  # its buttons live on that account
        modal_text=request.modal_text,
        request_message_id=request.reply_to,
        status=JobStatus.PREPARING if request.pictures else JobStatus.QUEUED,
        cost=settings.cost_of(request.kind),
        **services.dispatcher.ownership(),  # this process runs and delivers it
    )
    try:
        async with services.db.transaction() as session:
            # With the job, the update that asked for it: handed over again, it makes no other.
            await remember_in(session)
            chat_limit, user_limit = await limits_for(
                session=session,
                chat_id=request.chat_id,
                chat_is_group=request.chat_is_group,
                user_id=request.user_id,
                chat_default=settings.chat_daily_quota,
                user_default=settings.user_daily_quota,
            )
            job = await accept_job(
                session=session,
                job=job,
                day=quota_day(tz=settings.quota_tz),
                chat_limit=chat_limit,
                user_limit=user_limit,
            )
    except QuotaExceeded as exc:
        quota_refused(exc.scope)
        resets_at = quota_window(tz=settings.quota_tz).resets_at
        raise QuotaRefusal(exc.scope, exc.limit, resets_at) from exc
    except IntegrityError:
        _log.info("a copy of this update made its job already")
        raise ApplicationHandlerStop from None
    return job


async def launch_job(
    services: Services, bot: Bot, job: Job, pictures: tuple[Picture, ...] = ()
) -> None:
    """Post the status message, copy any pictures to Discord, and queue the job.

    Anything that stops it here (a full queue, a failed upload) refunds the job and says so.
    """
    assert job.id is not None
    _ = texts(job.language)
    status_id: int | None = None
    try:
        # The job's one message: its progress, and in the end its result, go into it.
        status = await services.delivery.status.post(job, _(SENDING))
        status_id = status.message_id
    except TelegramError:
        # The job can still run: its result gets a message of its own (bot/status.py).
        _log.warning("status message failed", extra={"job_id": job.id}, exc_info=True)
    async with services.db.transaction() as session:
        await update_job(session=session, job_id=job.id, status_message_id=status_id)
    services.delivery.progress.expect(job, status_id)
    if pictures:
        try:
            job = await _copy_pictures(services, bot, job, pictures)
        except (TelegramError, BridgeError):
            _log.warning("picture upload failed", extra={"job_id": job.id}, exc_info=True)
            await _give_up(services, bot, job, status_id, "upload_failed", UPLOAD_FAILED, {})
            return
    try:
        position = await services.dispatcher.submit(
            job.id, chat_id=job.chat_id, account=job.account, job=job
        )
    except QueueFull as exc:
        await _give_up(services, bot, job, status_id, "busy", BUSY, {"limit": exc.limit})
        return
    except Paused:
        await _give_up(services, bot, job, status_id, "paused", PAUSED, {})
        return
    if position > 0 and status_id is not None:
        queued = _("⏳ Queued — number {position} in line.", position=position)
        # A job still waiting here can be dropped from the queue.
        markup = cancel_markup(_, job.id)
        try:
            await services.delivery.status.edit(job, status_id, queued, markup)
        except TelegramError:
            # The job is queued and will be delivered: an error reply now would be untrue
            # (and a user who tried again would pay twice).
            _log.info("queue position not shown", extra={"job_id": job.id}, exc_info=True)


async def _copy_pictures(
    services: Services, bot: Bot, job: Job, pictures: tuple[Picture, ...]
) -> Job:
    assert job.id is not None
    changes: dict[str, object] = {"status": JobStatus.QUEUED}
    # Pictures go to one account's channel, and the job then runs on that account.
    stage = services.dispatcher.stage()
    changes["account"] = stage.account
    if job.kind is JobKind.IMAGINE:
        # Image prompts are URLs at the start of the prompt (#slash-command-options in
        # docs/midjourney-on-the-wire.md).
        urls = await to_prompt_urls(bot, stage, pictures)
        changes["prompt"] = " ".join([*urls, job.prompt]).strip()
    elif job.kind is JobKind.VIDEO:
        urls = await to_prompt_urls(bot, stage, pictures)
        changes["prompt"] = video_prompt(urls, job.prompt)
    else:
        uploads = await to_uploads(bot, stage, pictures)
        changes["images"] = [
            {"filename": u.filename, "uploaded_filename": u.uploaded_filename} for u in uploads
        ]
    async with services.db.transaction() as session:
        return await update_job(session=session, job_id=job.id, **changes)


async def _give_up(
    services: Services,
    bot: Bot,
    job: Job,
    status_id: int | None,
    error_kind: str,
    message: str,
    values: dict[str, object],
) -> None:
    assert job.id is not None
    services.delivery.progress.forget(job.id)
    async with services.db.transaction() as session:
        await fail_job(
            session=session,
            job_id=job.id,
            kind=error_kind,
            delivered_at=utcnow(),  # the message below is the delivery
        )
    body = texts(job.language)(message, **values)
    if status_id is not None:
        await services.delivery.status.edit(job, status_id, body)
    else:
        await bot.send_message(job.chat_id, body)

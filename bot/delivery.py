"""Telling chats what became of their jobs: progress, the finished picture, or the failure.

Subscribed to the dispatcher. Each finished job is delivered in its own task so a slow upload
never holds up the dispatcher, and `delivered_at` makes delivery happen once: a restart delivers
what was finished but not yet sent, and nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputFile,
    InputMedia,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from bot.account_notices import announce_pause, update_held
from bot.captions import (
    CAPTION_LIMIT,
    RELEASED,
    SENDING,
    caption_for,
    failure_text,
    info_text,
    notice_text,
    suggestions_text,
)
from bot.images import fit_photo
from bot.keyboards import RegionButton
from bot.progress import ProgressEditor
from bot.result_keys import SUGGESTIONS, UPSCALES, Keys, add_keys, add_original
from bot.status import StatusMessages, gone, reply_to, shows_picture, unchanged
from bot.texts import texts
from bot.video_delivery import ask_motion, video_outcome
from bot.video_jobs import is_video_result
from bot.video_pool import VideoConverter
from bridge.errors import BridgeError, DiscordRateLimited, DiscordUnavailable
from bridge.events import (
    AccountPaused,
    AccountResumed,
    Failure,
    JobAsks,
    JobEvent,
    JobFailed,
    JobProgress,
    JobSucceeded,
    ResultDeleted,
)
from bridge.messages import ResultKind
from storage.buttons import expire_message_buttons
from storage.db import Database
from storage.jobs import get_job, mark_delivered, set_job, undelivered_jobs
from storage.models import Job, JobStatus

if TYPE_CHECKING:
    from bot.miniapp.links import MiniAppLinks

_log = logging.getLogger(__name__)

_REDELIVER_MAX = 300.0
MESSAGE_LIMIT = 4096


class _StatusGone(NetworkError):
    """The job's message was deleted under the edit: retried with a new message."""

    def __init__(self) -> None:
        super().__init__("the status message is gone")


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, DiscordUnavailable | DiscordRateLimited):
        return True  # the CDN (or Discord) still failing after the REST client's own retries
    # BadRequest and Forbidden are NetworkError subclasses in PTB but will not heal by retrying.
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest | Forbidden)


class Delivery:
    def __init__(
        self,
        *,
        bot: Bot,
        db: Database,
        fetch: Callable[[str, str | None], Awaitable[bytes]],
        progress_interval: float,
        admin_ids: frozenset[int] = frozenset(),
        has_room: Callable[[int], bool] | None = None,
        attempts: int = 5,
        redeliver_after: float = 30.0,
        miniapp: MiniAppLinks | None = None,
        video: VideoConverter | None = None,
    ) -> None:
        self._bot = bot
        self._miniapp = miniapp  # None: no Vary (Region) button
        self._admin_ids = admin_ids
        self._db = db
        self._fetch = fetch  # an image of a result, through the account that made it
        self._attempts = attempts
        # A delivery whose retries are spent on a transient fault tries again this much later
        # (doubling, at most _REDELIVER_MAX), not only at the next start: the job is charged.
        self._redeliver_after = redeliver_after
        self._redeliveries: dict[int, int] = {}
        self._waits: set[asyncio.Task[None]] = set()  # redeliveries waiting for their turn
        self.status = StatusMessages(bot)
        self._video = video or VideoConverter()
        self.progress = ProgressEditor(
            bot=bot,
            db=db,
            status=self.status,
            interval=progress_interval,
            has_room=has_room,
            fetch=fetch,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._delivering: set[int] = set()
        # Told each job once its delivery is recorded (bot/metrics.py counts and times it).
        self.on_delivered: Callable[[Job], None] | None = None

    async def on_event(self, event: JobEvent) -> None:
        if isinstance(event, JobProgress):
            await self.progress.update(
                event.job_id, event.percent, event.cancellable, event.previews
            )
        elif isinstance(event, JobSucceeded | JobFailed):
            self.progress.forget(event.job_id)  # its outcome goes into the status message
            self._spawn(event.job_id)
        elif isinstance(event, ResultDeleted):
            # Buttons of a Midjourney message that is gone cannot work: they say so when tapped.
            async with self._db.transaction() as session:
                await expire_message_buttons(session=session, discord_message_id=event.message_id)
        elif isinstance(event, JobAsks):
            self._spawn_task(ask_motion(self._bot, self._db, event.job_id), "ask")
        elif isinstance(event, AccountPaused):
            pause = announce_pause(self._bot, self._db, self.status, self._admin_ids, event)
            self._spawn_task(pause, "pause")
        elif isinstance(event, AccountResumed):
            resume = update_held(self._db, self.status, event.released, RELEASED)
            self._spawn_task(resume, "resume")

    async def resume(self, owner: str) -> None:
        """Deliver what finished while nobody was there to send it (e.g. before a restart);
        only this process's jobs: others deliver their own."""
        async with self._db.transaction() as session:
            jobs = await undelivered_jobs(session=session, owner=owner)
        for job in jobs:
            assert job.id is not None
            self._spawn(job.id)

    async def aclose(self) -> None:
        for task in self._waits:
            task.cancel()  # undelivered jobs wait for the next start
        await self.progress.aclose()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._video.aclose()

    def _spawn(self, job_id: int) -> None:
        # A job can be due twice at once (its success event, and the start-up sweep of
        # undelivered jobs); delivered_at alone cannot stop two sends already under way.
        if job_id in self._delivering:
            return
        self._delivering.add(job_id)
        task = self._spawn_task(self._deliver(job_id), f"deliver-{job_id}")
        task.add_done_callback(lambda _: self._delivering.discard(job_id))

    def _spawn_task(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _deliver(self, job_id: int) -> None:
        async with self._db.transaction() as session:
            job = await get_job(session=session, job_id=job_id)
            if job is None or job.delivered_at is not None or not job.status.finished:
                return
            # Stored with the read: a transaction less per result on the single connection.
            keys = await add_keys(session, job, region=self._miniapp is not None)
        shown: int | None = None
        try:
            if job.status is JobStatus.SUCCEEDED:
                shown = await self._send_result(job, keys)
            else:
                await self._send_failure(job)
        except Forbidden:
            _log.info("chat unreachable, result dropped", extra={"job_id": job_id})
        except Exception as exc:
            # Left undelivered: tried again later when the fault may heal, else at the next start.
            _log.exception("delivery failed", extra={"job_id": job_id})
            if _transient(exc):
                self._redeliver(job_id)
            return
        self._redeliveries.pop(job_id, None)
        async with self._db.transaction() as session:
            await mark_delivered(session=session, job_id=job_id, delivered_message_id=shown)
        if self.on_delivered is not None:
            self.on_delivered(job)

    def _redeliver(self, job_id: int) -> None:
        rounds = self._redeliveries.get(job_id, 0)
        self._redeliveries[job_id] = rounds + 1
        delay = min(_REDELIVER_MAX, self._redeliver_after * 2**rounds)

        async def later() -> None:
            await asyncio.sleep(delay)
            self._spawn(job_id)

        task = asyncio.create_task(later(), name=f"redeliver-{job_id}")
        self._waits.add(task)
        task.add_done_callback(self._waits.discard)

    async def _retrying(self) -> AsyncRetrying:
        return AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=wait_exponential(multiplier=0.5, max=20),
            stop=stop_after_attempt(self._attempts),
            reraise=True,
        )

    async def _send_result(self, job: Job, keys: Keys) -> int | None:
        """Send it; the id of a picture's message (a Mini App's job answers it)."""
        if job.result_kind in SUGGESTIONS:
            await self._send_description(job, keys)
        elif job.result_kind == ResultKind.INFO.value:
            await self._send_text(job, info_text(texts(job.language), job.texts))
        elif job.result_kind == ResultKind.NOTICE.value:
            await self._send_text(job, notice_text(texts(job.language), job))
        elif is_video_result(job):
            return await self._send_video(job, keys)
        else:
            return await self._send_photo(job, keys)
        return None

    def _region_button(self, job: Job) -> RegionButton | None:
        miniapp = self._miniapp
        if miniapp is None:
            return None
        private = job.chat_id > 0  # Telegram's private chat ids are positive, groups' negative
        return lambda label, token: miniapp.button(label, token, private=private)

    async def _download(self, job: Job) -> bytes:
        """The result's file, through the account that made it, retried like a delivery."""
        assert job.result_url is not None
        async for attempt in await self._retrying():
            with attempt:
                data = await self._fetch(job.result_url, job.account)
        return data

    async def _send_photo(self, job: Job, keys: Keys) -> int:
        photo, downscaled = await asyncio.to_thread(fit_photo, await self._download(job))
        if downscaled and job.result_kind not in UPSCALES:
            keys = await add_original(self._db, job, keys)
        filename = (job.result_filename or "midjourney.png").rsplit(".", 1)[0]
        media = InputMediaPhoto(
            photo,  # bytes: PTB attaches them to the request as an upload
            caption=caption_for(job, texts(job.language), downscaled=downscaled),
            filename=filename + (".jpg" if downscaled else ".png"),
        )
        return await self._put(job, keys.markup(self._region_button(job)), media=media)

    async def _put(
        self,
        job: Job,
        keyboard: InlineKeyboardMarkup | None,
        *,
        media: InputMedia | None = None,
        body: str | None = None,
    ) -> int:
        """Put the outcome into the job's message: the picture (editMessageMedia) or words;
        return the message's id. Repeated after a restart, it shows the same again; a message
        that is gone is replaced by a new one, recorded before the outcome goes into it."""
        # No progress edit may stay on top of the outcome. Words wait for one under way; a
        # picture does not (the p99 in README "Performance"): it is put in again, by its
        # file_id, when that edit may have landed after it.
        racing = None
        if media is None:
            await self.progress.settle(job.id or 0)
        else:
            racing = self.progress.overtake(job.id or 0)
        # Only the message the progress edits went to can be covered (not a new one).
        message_id = covered = job.status_message_id
        # A picture job's message is a photo, whatever its result: words go into its caption.
        picture = media is not None or shows_picture(job)
        shown: Message | None = None
        async for attempt in await self._retrying():
            with attempt:
                if message_id is None:
                    message_id = await self._replace_status(job, picture)
                try:
                    if media is not None:
                        put = await self._bot.edit_message_media(
                            media, job.chat_id, message_id, reply_markup=keyboard
                        )
                        shown = put if isinstance(put, Message) else None
                    else:
                        assert body is not None
                        words = body[:CAPTION_LIMIT] if picture else body
                        await self.status.edit(job, message_id, words, keyboard, picture=picture)
                except BadRequest as exc:
                    if gone(exc):
                        message_id = None  # deleted meanwhile: a new one on the next try
                        raise _StatusGone from exc
                    if not unchanged(exc):
                        raise
        assert message_id is not None
        if racing is not None and message_id == covered and await racing:
            await self.status.put_again(job, message_id, media, shown, keyboard)
        return message_id

    async def _replace_status(self, job: Job, picture: bool) -> int:
        """Post a new message for the job's outcome and record it before it is used."""
        assert job.id is not None
        stale = job.status_message_id
        placeholder = texts(job.language)(SENDING)
        message = await self.status.post(job, placeholder, picture=picture)
        async with self._db.transaction() as session:
            await set_job(session=session, job_id=job.id, status_message_id=message.message_id)
        job.status_message_id = message.message_id
        if stale is not None and stale != message.message_id:
            await self._delete_quietly(job, stale)
        return message.message_id

    async def _send_video(self, job: Job, keys: Keys) -> int:
        """A video grid or clip as an MP4 that plays in the chat (bot/video_delivery.py)."""
        outcome = await video_outcome(job, await self._download(job), self._video)
        if isinstance(outcome, str):
            return await self._put(job, keys.markup(), body=outcome)
        return await self._put(job, keys.markup(), media=outcome)

    async def _send_description(self, job: Job, keys: Keys) -> None:
        """Describe's four prompts (or shorten's suggestions) as text, each with a button that
        draws it."""
        numbers = [key.label for key in keys.rows[0]] if keys.rows else []
        listing = "\n\n".join(
            f"{n} {prompt}" for n, prompt in zip(numbers, job.texts, strict=True)
        )
        kind = SUGGESTIONS.get(job.result_kind or "", "describe")
        body = suggestions_text(texts(job.language), kind, listing)[:MESSAGE_LIMIT]
        await self._put(job, keys.markup(), body=body)

    async def _send_text(self, job: Job, body: str) -> None:
        """A result that is words only (account info, a mode switch), in the job's message."""
        await self._put(job, None, body=body[:MESSAGE_LIMIT])

    async def _send_failure(self, job: Job) -> None:
        _ = texts(job.language)
        if job.error_kind == Failure.CANCELLED:
            body = _("✖️ Cancelled. Your quota was not charged.")
        else:
            body = failure_text(_, job.error_kind or "unknown", job.error or "")
        await self.progress.settle(job.id or 0)
        if job.status_message_id is not None:
            try:
                if shows_picture(job):
                    await self.status.clear(job, job.status_message_id, body[:CAPTION_LIMIT])
                else:
                    await self.status.edit(job, job.status_message_id, body)
                return
            except BadRequest as exc:
                if not gone(exc):
                    raise
                # the status message is gone: say it in a new reply
        async for attempt in await self._retrying():
            with attempt:
                await self._bot.send_message(job.chat_id, body, reply_parameters=reply_to(job))

    async def send_original(self, job: Job, answering: int) -> Message | None:
        """Send the untouched result file as a document; None if it can no longer be fetched."""
        if job.result_url is None:
            return None
        try:
            data = await self._fetch(job.result_url, job.account)
        except BridgeError:
            return None
        return await self._bot.send_document(
            job.chat_id,
            InputFile(data, filename=job.result_filename or "midjourney.png"),
            reply_parameters=ReplyParameters(answering, allow_sending_without_reply=True),
        )

    async def _delete_quietly(self, job: Job, message_id: int) -> None:
        try:
            await self._bot.delete_message(job.chat_id, message_id)
        except TelegramError:
            _log.info("stale status message not deleted", extra={"job_id": job.id})

"""Progress shown by editing each job's status message (a photo's caption, or a text), at most
one edit per chat per interval.

A photo's edit also puts in Midjourney's newest preview (bot/previews.py) when there is one it
has not shown: the same one call (editMessageMedia instead of editMessageCaption), so previews
cost Telegram nothing more; a newer preview replaces one not yet shown, and a preview that
cannot be fetched or read leaves the caption edit alone. A job's edits stop when its outcome
is due (`forget`), and a job already over is never edited again, so nothing that comes late
(a slow download, a stray update) can cover a result. An edit already on its way to Telegram
when the outcome is due cannot be called back: the outcome either waits for it (`settle`), or
goes out beside it and is put in again if the edit may have landed after it (`overtake`).

Telegram counts edits against the same flood budget as messages (about 20 a minute in a group),
so updates are coalesced: a chat's jobs take turns, and each edit shows the newest percentage.
Groups wait twice as long between edits, leaving half their budget for new messages.
Progress edits are never retried: a newer one will come, and a late one would be stale.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.captions import progress_text
from bot.keyboards import cancel_markup
from bot.previews import Fetch, fetch_previews, preview_photo
from bot.status import StatusMessages, shows_picture
from bot.texts import texts
from storage.db import Database
from storage.jobs import get_job
from storage.models import Job

_log = logging.getLogger(__name__)

_ENDED_MEMORY = 4096  # jobs over, remembered so that a late update cannot edit them again


@dataclass(slots=True)
class _Status:
    job: Job
    message_id: int
    percent: int | None = None
    shown: int | None = -1
    # ✖️ Cancel, while Midjourney's progress message offers Cancel Job.
    markup: InlineKeyboardMarkup | None = None
    previews: tuple[str, ...] = ()  # Midjourney's newest preview links
    fetched: tuple[str, ...] = ()  # the links `photo` was made from
    photo: bytes | None = None  # made from them, not shown yet

    @property
    def chat_id(self) -> int:
        return self.job.chat_id


class ProgressEditor:
    def __init__(
        self,
        *,
        bot: Bot,
        db: Database,
        status: StatusMessages,
        interval: float,
        has_room: Callable[[int], bool] | None = None,
        fetch: Fetch | None = None,
        preview_timeout: float = 5.0,
    ) -> None:
        self._bot = bot
        self._fetch = fetch  # None: captions only
        # A preview's download holds up the chat's next edit at most this long.
        self._preview_timeout = preview_timeout
        self._status = status
        # Asks the rate limiter whether the chat's message budget is free right now.
        self._has_room = has_room
        self._db = db
        self._interval = interval
        self._jobs: dict[int, _Status | None] = {}  # None: job without a status message
        # Status messages posted by this process, not yet needed: no read when progress comes.
        self._expected: dict[int, _Status | None] = {}
        self._reading: dict[int, int | None] = {}  # jobs being read: the newest percentage
        self._flushers: dict[int, asyncio.Task[None]] = {}
        self._last_edit: dict[int, float] = {}
        # Job -> its edit in flight, done with whether the edit may have changed the message.
        self._editing: dict[int, asyncio.Future[bool]] = {}
        self._ended: OrderedDict[int, None] = OrderedDict()
        # Previews are drawn in one thread of their own, not in the loop's default pool: each
        # thread doing Pillow's work keeps a malloc arena of its own, several MiB of RSS
        # apiece (README "Performance"), and a glimpse can wait for the one before it.
        self._drawing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="previews")

    def expect(self, job: Job, message_id: int | None) -> None:
        """The job's status message was just posted (None: none could be): its progress
        needs no read of the job."""
        assert job.id is not None
        self._expected[job.id] = None if message_id is None else _Status(job, message_id)

    async def update(
        self,
        job_id: int,
        percent: int | None,
        cancellable: bool = False,
        previews: tuple[str, ...] = (),
    ) -> None:
        if job_id in self._ended:
            return
        if job_id not in self._jobs and job_id in self._expected:
            self._jobs[job_id] = self._expected.pop(job_id)
        if job_id not in self._jobs:
            if job_id in self._reading:
                # Another update of this job is reading it (Midjourney's messages are handled
                # concurrently): leave it the newest percentage rather than read the job again.
                self._reading[job_id] = percent
                return
            self._reading[job_id] = percent
            try:
                async with self._db.transaction() as session:
                    job = await get_job(session=session, job_id=job_id)
            finally:
                percent = self._reading.pop(job_id)
            if job_id in self._ended or (job is not None and job.status.finished):
                return  # it ended while it was read: its outcome owns the message now
            self._jobs[job_id] = (
                _Status(job, job.status_message_id)
                if job is not None and job.status_message_id is not None
                else None
            )
        status = self._jobs[job_id]
        # None is Midjourney's "accepted, waiting to start": shown once, before any percentage.
        if status is None or (percent is None and status.percent is not None):
            return
        status.percent = percent
        if previews:  # none: the one already shown still stands
            status.previews = previews
        status.markup = cancel_markup(texts(status.job.language), job_id) if cancellable else None
        chat_id = status.chat_id
        if chat_id not in self._flushers:
            task = asyncio.create_task(self._flush(chat_id), name=f"progress-{chat_id}")
            self._flushers[chat_id] = task
            task.add_done_callback(lambda _: self._flushers.pop(chat_id, None))

    def forget(self, job_id: int) -> None:
        """The job is over: its outcome is about to go into its message, so stop editing it."""
        self._jobs.pop(job_id, None)
        self._expected.pop(job_id, None)
        self._ended[job_id] = None
        while len(self._ended) > _ENDED_MEMORY:
            self._ended.popitem(last=False)

    async def settle(self, job_id: int) -> None:
        """Forget the job and wait for an edit of it already under way: a progress caption
        that landed after the outcome would hide the outcome's caption and buttons."""
        edit = self.overtake(job_id)
        if edit is not None:
            await asyncio.shield(edit)

    def overtake(self, job_id: int) -> asyncio.Future[bool] | None:
        """Forget the job, and hand back its edit still under way, if any: the outcome need
        not wait for it, but must be put in again when the edit comes out True (it may have
        landed after the outcome, hiding its picture, caption and buttons)."""
        self.forget(job_id)
        return self._editing.get(job_id)

    async def aclose(self) -> None:
        for task in list(self._flushers.values()):
            task.cancel()
        await asyncio.gather(*self._flushers.values(), return_exceptions=True)
        self._drawing.shutdown(wait=False, cancel_futures=True)

    def _stale(self, chat_id: int) -> list[_Status]:
        return [
            s
            for s in self._jobs.values()
            if s is not None and s.chat_id == chat_id and s.percent != s.shown
        ]

    async def _flush(self, chat_id: int) -> None:
        while stale := self._stale(chat_id):
            interval = self._interval * (2 if chat_id < 0 else 1)
            wait = self._last_edit.get(chat_id, -1e9) + interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue  # jobs may have finished or moved on while we waited
            status = stale[0]
            await self._prepare(status)
            if self._has_room is not None and not self._has_room(chat_id):
                # The chat's budget is busy with real messages: skip this turn.
                self._last_edit[chat_id] = time.monotonic()
                continue
            status.shown = status.percent
            self._last_edit[chat_id] = time.monotonic()
            await self._edit(status)
        self._prune()

    async def _edit(self, status: _Status) -> None:
        job_id = status.job.id or 0
        if self._jobs.get(job_id) is not status:  # finished meanwhile
            return
        # A chat's edits go one at a time (`_flush`), so a job has at most one in flight.
        edit = self._editing[job_id] = asyncio.get_running_loop().create_future()
        changed = True  # until Telegram's answer says otherwise
        try:
            changed = await self._show(status)
        finally:
            del self._editing[job_id]
            if not edit.done():
                edit.set_result(changed)

    async def _prepare(self, status: _Status) -> None:
        """Fetch and make the photo of the newest preview not yet tried (once per preview:
        a newer one comes with the next progress)."""
        if self._fetch is None or not shows_picture(status.job):
            return
        if not status.previews or status.previews == status.fetched:
            return
        links = status.fetched = status.previews
        pictures = await fetch_previews(
            self._fetch, links, status.job.account, self._preview_timeout
        )
        loop = asyncio.get_running_loop()
        status.photo = await loop.run_in_executor(self._drawing, preview_photo, pictures)

    async def _show(self, status: _Status) -> bool:
        """Make the edit; False when Telegram surely did not carry it out."""
        body = progress_text(texts(status.job.language), status.percent)
        photo, status.photo = status.photo, None
        try:
            if photo is not None:
                await self._status.show(status.job, status.message_id, photo, body, status.markup)
            else:
                await self._status.edit(status.job, status.message_id, body, status.markup)
        except RetryAfter:
            _log.info("progress edit dropped (flood control)", extra={"chat_id": status.chat_id})
            return False
        except BadRequest as exc:
            _log.info("progress edit refused", extra={"error": exc.message})
            return False
        except TelegramError:
            # A timeout or a broken connection: Telegram may have carried it out all the same.
            _log.warning("progress edit failed", exc_info=True)
        return True

    def _prune(self) -> None:
        # Forget chats whose last edit is older than the interval: they may edit at once anyway.
        horizon = time.monotonic() - self._interval
        for chat_id in [c for c, at in self._last_edit.items() if at < horizon]:
            del self._last_edit[chat_id]

"""Midjourney's messages taken in: each offered to correlation once, and applied to its run.

Both gateway sessions feed `take`. What a message means for its job is decided here: progress
(written only when what a restart needs changes), an outcome (settled on the run, whose slot
task records it), an ack or a form (bridge/outcomes.py submits Midjourney's own forms; the
user's wait for `answer`), Vary (Region)'s editor opening. A message that only a shared
prompt points at waits `guess_delay` for the other session's copy, which may carry a key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from bridge.correlation import Ambiguous, JobMessage, Track, hash_of
from bridge.events import Failure, JobAsks, JobProgress, ResultDeleted
from bridge.inpaint import INPAINT_PREFIX
from bridge.journal import Journal
from bridge.messages import (
    Completed,
    Deleted,
    ErrorKind,
    Failed,
    IframeOpened,
    InteractionAck,
    MessageRef,
    MjEvent,
    ModalOpened,
    Progress,
)
from bridge.runs import USER_FORMS, Run, Runs, cancel_of

_log = logging.getLogger(__name__)


class Intake:
    def __init__(self, runs: Runs, journal: Journal, *, guess_delay: float) -> None:
        self._runs = runs
        self._correlator = runs.correlator
        self._journal = journal
        self.guess_delay = guess_delay
        self._guesses: set[asyncio.Task[None]] = set()

    def pending(self) -> tuple[asyncio.Task[None], ...]:
        """The guesses still waiting for a better copy (to cancel at a stop)."""
        return tuple(self._guesses)

    async def take(self, event: MjEvent, *, guess: bool = True) -> None:
        """Take one parsed Midjourney message; `guess=False` (old history) trusts keys only."""
        correlator = self._correlator
        if correlator.duplicate(event):
            return
        if isinstance(event, Deleted):
            correlator.applied(event)
            # Midjourney deletes each progress message once the result is posted: nothing to
            # do. Any other deleted message may be a result whose buttons now cannot work.
            if not correlator.is_progress(event.message_id):
                await self._journal.emit(ResultDeleted(event.message_id))
            return
        if isinstance(event, InteractionAck | ModalOpened):
            correlator.applied(event)
            if (asks := self._on_interaction(event)) is not None:
                await self._journal.emit(JobAsks(asks.job_id))
            return
        if isinstance(event, IframeOpened):
            correlator.applied(event)
            self._on_iframe(event)
            return
        found = correlator.match(event, guess=guess)
        if isinstance(found, Ambiguous):
            self._guess_later(event)
            return
        await self._apply(event, found)

    def _guess_later(self, event: JobMessage) -> None:
        """Only the prompt points at a job, and at several: the other session's copy of this
        message may carry a key. Failing that, the oldest of them takes it."""

        async def decide() -> None:
            await asyncio.sleep(self.guess_delay)
            if self._correlator.duplicate(event):
                return  # a better copy came and was applied
            found = self._correlator.match(event, oldest=True)
            if not isinstance(found, Ambiguous):
                _log.warning("ambiguous Midjourney message, took the oldest job",
                             extra={"message_id": event.ref.message_id})  # fmt: skip
                await self._apply(event, found)

        task = asyncio.create_task(decide(), name=f"mj-guess-{event.ref.message_id}")
        self._guesses.add(task)
        task.add_done_callback(self._guesses.discard)

    async def _apply(self, event: JobMessage, track: Track | None) -> None:
        run = self._runs.open(track.job_id) if track is not None else None
        if run is None:
            if track is None:
                _log.debug("unmatched Midjourney message",
                           extra={"message_id": event.ref.message_id})  # fmt: skip
            return
        self._correlator.applied(event)
        self._correlator.bind(run.track, event.ref, hash_of(event))
        if isinstance(event, Failed) and run.cancelling and event.kind is ErrorKind.STOPPED:
            run.settle(Failure.CANCELLED)  # Midjourney's word for our cancel
            return
        if isinstance(event, Completed | Failed):
            run.settle(event)
            if isinstance(event, Completed) and run.slot is not None:
                # Midjourney is done with it: the slot's next job is sent now, before the
                # result is recorded and before this job's task even wakes up to record it.
                run.slot.give_back()
            return
        percent = event.percent if isinstance(event, Progress) else None
        run.cancel = cancel_of(event) or run.cancel
        interaction_ids = run.track.interaction_ids
        interaction_id = interaction_ids[-1] if interaction_ids else None
        stored = (event.ref.message_id, interaction_id)
        # Written only when what a restart needs changes (status, and the ids that match
        # Midjourney's later messages), not for every percentage: the percentage goes to
        # the status message through the event, and a transaction per progress message was
        # most of the dispatcher's work on a busy gateway.
        if run.stored != stored:
            # Claimed before the write: the next messages of this job may be handled
            # while it waits for the database, and need not write the same again.
            before, run.stored = run.stored, stored
            try:
                await self._journal.progress(
                    run.job_id, percent, event.ref.message_id, interaction_id
                )
            except BaseException:
                run.stored = before
                raise
        previews = tuple(p.url for p in event.previews) if isinstance(event, Progress) else ()
        progress = JobProgress(run.job_id, percent, run.cancel is not None, previews)
        await self._journal.emit(progress)
        run.news.set()

    def _on_interaction(self, event: InteractionAck | ModalOpened) -> Run | None:
        """Apply an ack or a form; return the run when the form waits for the user."""
        track = self._correlator.for_nonce(event.nonce)
        run = self._runs.open(track.job_id) if track is not None else None
        if run is None:
            return None
        if isinstance(event, ModalOpened) and event.custom_id.startswith(USER_FORMS):
            run.asking = event
            return run
        if isinstance(event, ModalOpened):
            run.modal = event
        elif event.accepted:
            # The id that Midjourney's result messages will carry in interaction_metadata.
            ack = MessageRef("", "", interaction_id=event.interaction_id)
            self._correlator.bind(run.track, ack)
        else:
            run.settle(Failure.REFUSED)
            return None
        run.news.set()
        return None

    async def answer(self, job_id: int, text: str) -> bool:
        """Fill in the form a job waits on (JobAsks) with the user's words and send it; False
        when the job no longer waits (it timed out, or the bot restarted since)."""
        run = self._runs.open(job_id)
        if run is None or run.asking is None:
            return False
        await self._journal.update(job_id, modal_text=text)
        run.modal, run.asking = run.asking, None
        run.news.set()
        return True

    def _on_iframe(self, event: IframeOpened) -> None:
        """Vary (Region)'s editor opened: its job is the nonce's, else the oldest Vary (Region)
        still waiting for one (a dispatch found by its custom_id may carry no nonce)."""
        track = self._correlator.for_nonce(event.nonce)
        run = self._runs.get(track.job_id) if track is not None else None
        if run is None:
            waiting = [
                r
                for r in self._runs
                if (r.track.custom_id or "").startswith(INPAINT_PREFIX) and not r.iframe_seen
            ]
            run = min(waiting, key=lambda r: r.job_id, default=None)
        if run is None or run.outcome is not None or run.iframe_seen:
            return
        run.iframe, run.iframe_seen = event, True
        if event.interaction_id:
            editor = MessageRef("", "", interaction_id=event.interaction_id)
            self._correlator.bind(run.track, editor)
        run.news.set()

    async def catch_up(self, events: Sequence[MjEvent | None], runs: Iterable[Run]) -> None:
        """What Midjourney posted while we were away (the channel's history, oldest first),
        for `runs`, the jobs that were in flight: those it shows no trace of are sent again."""
        for event in events:
            if event is not None:
                # No guessing by prompt here: an old result of another job must not be taken.
                await self.take(event, guess=False)
        for run in runs:
            track = run.track
            if run.outcome is not None or track.message_ids or track.interaction_ids:
                continue
            result = self._correlator.late_result(track, events)
            if result is None:
                run.resend = True
                continue
            self._correlator.bind(track, result.ref, hash_of(result))
            run.settle(result)

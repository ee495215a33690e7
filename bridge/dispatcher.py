"""Runs jobs through Midjourney: a fair waiting queue, each account's slots, correlation,
timeouts, and account health.

A slot is one account's place for one job at Midjourney. Each job that takes a slot runs in a
task of its own from submission to its terminal outcome, and gives the slot back in a `finally`
at the latest, so no outcome (result, Midjourney error, Discord refusal, timeout, crash) can
leak a slot. A result gives it back before the result is recorded, and a freed slot is handed
its next job there and then (`_refill`): Midjourney's time is what the bridge must not waste.
A job goes to any healthy account with a free slot, except one that must stay on an account: a
button of a message that account posted, or pictures uploaded to its channel.

Which job a Midjourney message belongs to is bridge/correlation.py's to say; here each
message is offered to it once, whichever gateway session's copy comes first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC

from sqlalchemy.exc import IntegrityError

from bridge.accounts import Account
from bridge.correlation import Ambiguous, Correlator, JobMessage, Track, hash_of
from bridge.errors import (
    BridgeError,
    DiscordHTTPError,
    DiscordMaybeSent,
    NotRunning,
    Paused,
    QueueFull,
)
from bridge.events import (
    AccountPaused,
    AccountResumed,
    CancelOutcome,
    Failure,
    JobAsks,
    JobEvent,
    JobFailed,
    JobListener,
    JobProgress,
    JobQueued,
    JobStarted,
    JobSucceeded,
    ResultDeleted,
)
from bridge.health import AccountPool, paused_key
from bridge.inpaint import INPAINT_PREFIX, InpaintRefused, send_mask
from bridge.interactions import Interaction, new_nonce
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
from bridge.recovery import HISTORY, LeaseClock, history_events, outcomes_of, sort_claimed
from bridge.runs import USER_FORMS, Order, Run, cancel_of, result_columns
from bridge.slots import Line, Slot
from bridge.staging import Stage
from bridge.status import Status
from storage.db import Database
from storage.jobs import (
    fail_job,
    get_job,
    launch_job,
    record_progress,
    succeed_job,
    update_job,
)
from storage.leases import claim_jobs, lease, renew_leases
from storage.models import Job, JobStatus
from storage.state import get_state, set_state

_log = logging.getLogger(__name__)

class Dispatcher:
    def __init__(
        self,
        *,
        db: Database,
        accounts: Sequence[Account],
        queue_limit: int,
        job_timeout: float,
        instance: str = "main",
        lease_s: float = 60.0,
        guess_delay: float = 1.0,
    ) -> None:
        self.db = db
        self.pool = AccountPool(accounts)
        self.accounts = self.pool.by_name
        self.queue_limit = queue_limit
        self.instance = instance  # owns the jobs this process creates (storage/leases.py)
        self.lease_s = lease_s
        self.job_timeout = job_timeout
        self._listeners: list[JobListener] = []
        self._line = Line(self.pool.names())
        self._orders: dict[int, Order] = {}  # waiting job -> what sending it takes
        self._leases = LeaseClock(lease_s)
        self._running: dict[int, Run] = {}
        self._correlator = Correlator()
        # How long a message that only a shared prompt points at waits for the other gateway
        # session's copy, which may carry a key, before it goes to the oldest of those jobs.
        self.guess_delay = guess_delay
        self._guesses: set[asyncio.Task[None]] = set()
        self._workers: set[asyncio.Task[None]] = set()  # one per job holding a slot
        self._launch_writes: set[asyncio.Task[bool]] = set()
        self._keeper: asyncio.Task[None] | None = None
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------

    def subscribe(self, listener: JobListener) -> None:
        """Listeners must return quickly: slow work belongs in their own tasks."""
        self._listeners.append(listener)

    async def start(self) -> None:
        for account in self.pool:
            await account.backend.start(self.on_mj_event)
            async with self.db.transaction() as session:
                account.paused = await get_state(session=session, key=paused_key(account))
        claimed_at = self._leases.now()
        async with self.db.transaction() as session:
            jobs = await claim_jobs(
                session=session, owner=self.instance, lease_s=self.lease_s, mine=True
            )
        self._leases.renewed(claimed_at)
        # Finished but undelivered ones are the delivery's, at its own start.
        await self._take(jobs)
        self._started = True
        self._refill_all()
        self._keeper = asyncio.create_task(self._keep_leases(), name="mj-leases")

    async def aclose(self) -> None:
        """Stop the workers; jobs in flight stay in the database for the next start."""
        self._started = False
        tasks = [*self._workers, *self._guesses, *([self._keeper] if self._keeper else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Let the SUBMITTED writes of jobs already sent land, or a restart would send them again.
        await asyncio.gather(*self._launch_writes, return_exceptions=True)
        self._workers.clear()
        self._keeper = None
        for account in self.pool:
            await account.backend.aclose()

    async def __aenter__(self) -> Dispatcher:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def ownership(self) -> dict[str, object]:
        """The columns that make a new job this process's (its creator runs and delivers it)."""
        return {"owner": self.instance, "lease_until": lease(self.lease_s)}

    async def _keep_leases(self) -> None:
        """Renew our jobs' leases; take over the jobs of a process that stopped renewing."""
        while True:
            await asyncio.sleep(self._leases.renew_every)
            try:
                renewed_at = self._leases.now()
                async with self.db.transaction() as session:
                    await renew_leases(session=session, owner=self.instance, lease_s=self.lease_s)
                    jobs = await claim_jobs(
                        session=session, owner=self.instance, lease_s=self.lease_s, mine=False
                    )
                self._leases.renewed(renewed_at)
                if jobs:
                    _log.warning("took over jobs of a stopped process", extra={"n": len(jobs)})
                await self._take(jobs)
                for event in outcomes_of(jobs):
                    await self._emit(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("lease upkeep failed; trying again")

    async def _take(self, jobs: Sequence[Job]) -> None:
        """Pick up unfinished jobs claimed from the database (ours before a restart, or a
        stopped process's): queued ones wait again, sent ones are followed up."""
        claimed = sort_claimed(jobs, self.pool)
        for job in claimed.queued:
            assert job.id is not None
            pinned = job.account if job.account in self.pool else None
            self._line.queue(job.chat_id, job.id, pinned)
        adopted: dict[Account, list[Run]] = {}
        for name, in_flight in claimed.in_flight.items():
            account = self.pool.by_name[name]
            # Tracked now, so the history below can find them.
            adopted[account] = [self._track(job, account) for job in in_flight]
        self._refill_all()
        for job_id in claimed.interrupted:
            await self._fail(job_id, Failure.LOST, "interrupted while uploading pictures")
        for job_id in claimed.gone:
            await self._fail(job_id, Failure.LOST, "its account is no longer configured")
        if jobs:
            counts = {"jobs": len(jobs), "in_flight": sum(map(len, adopted.values()))}
            _log.info("picked up jobs", extra=counts)
        for account, runs in adopted.items():
            await self._catch_up(account, runs)
            # Queued for a slot only after the catch-up has decided which need sending again.
            self._line.adopt(account.name, (run.job_id for run in runs))
            self._refill(account)

    async def _catch_up(self, account: Account, runs: list[Run]) -> None:
        """Read what Midjourney posted while we were away, for the jobs that were in flight."""
        try:
            history = await account.backend.history(limit=HISTORY)
        except BridgeError:
            _log.warning("channel history unavailable; waiting for new messages", exc_info=True)
            return
        events = history_events(history)
        for event in events:  # oldest first, as it happened
            if event is not None:
                # No guessing by prompt here: an old result of another job must not be taken.
                await self.on_mj_event(event, guess=False)
        for run in runs:
            track = run.track
            if run.outcome is not None or track.message_ids or track.interaction_ids:
                continue
            result = self._correlator.late_result(track, events)
            if result is None:
                run.resend = True
                continue
            self._correlator.bind(track, result.ref, hash_of(result))
            self._settle(run, result)

    # -- submitting ----------------------------------------------------------------------------

    @property
    def paused(self) -> str | None:
        """Why nothing can be sent, when every account needs attention; else None."""
        return self.pool.paused

    @property
    def in_flight(self) -> int:
        return len(self._running)

    @property
    def waiting(self) -> int:
        return len(self._line)

    def status(self) -> Status:
        """What operators see of the queue and the accounts, as of now."""
        return Status(in_flight=self.in_flight, waiting=self.waiting, accounts=self.pool.status())

    def stage(self) -> Stage:
        """Where the pictures of a job about to be queued go (the job must then be submitted
        with `account=stage.account`)."""
        account = self.pool.pick()
        return Stage(account.name, account.backend)

    async def fetch(self, url: str, account: str | None = None) -> bytes:
        """Download a result image (through its account when known: CDN links are signed)."""
        return await (self.pool.get(account) or self.pool.first).backend.fetch(url)

    def check_capacity(self) -> None:
        """Raise QueueFull (or Paused) before a caller spends quota on a job that cannot run."""
        if not self._started:
            raise NotRunning("the dispatcher is not running")
        if (reason := self.paused) is not None:
            raise Paused(reason)
        free_slots = self.pool.free
        if self._line.queued - free_slots >= self.queue_limit:
            raise QueueFull(self.queue_limit)

    async def submit(
        self, job_id: int, *, chat_id: int, account: str | None = None, job: Job | None = None
    ) -> int:
        """Queue a stored job, on `account` only if given; return its position (0 when a slot
        is free right now).

        `job`, the row as just stored, lets the slot send it without reading it back.
        """
        self.check_capacity()
        if job is not None:
            self._orders[job_id] = Order.of(job)
        if account not in self.pool:
            # An account since removed from the pool: any account may try (Discord refuses a
            # message it cannot see, and the job fails clearly).
            account = None
        self._line.queue(chat_id, job_id, account)
        self._refill_all()
        position = self._line.place(job_id)
        await self._emit(JobQueued(job_id, position))
        return position

    async def cancel(self, job_id: int) -> CancelOutcome:
        """Cancel a job of ours: a waiting one leaves the queue; a running one is stopped at
        Midjourney (its Cancel Job button pressed). Either way it fails as cancelled, which
        refunds it and frees its slot. A job that has its outcome already is left to it."""
        if self._line.remove(job_id):
            self._orders.pop(job_id, None)
            await self._fail(job_id, Failure.CANCELLED, "")
            return CancelOutcome.CANCELLED
        run = self._running.get(job_id)
        if run is None or run.outcome is not None:
            return CancelOutcome.FINISHED
        if run.cancel is None:
            return CancelOutcome.NOT_NOW
        message_id, custom_id, flags = run.cancel
        run.cancelling = True
        interaction = Interaction(
            nonce=new_nonce(), message_id=message_id, custom_id=custom_id, message_flags=flags
        )
        try:
            await run.account.backend.submit(interaction)
        except DiscordMaybeSent:
            _log.warning("cancel maybe sent; taken as sent", extra={"job_id": job_id})
        except BridgeError as exc:
            run.cancelling = False
            # A finished job's progress message is deleted: Discord knows it no more.
            if run.outcome is not None:
                return CancelOutcome.FINISHED
            _log.warning("cancel refused", extra={"job_id": job_id, "error": str(exc)})
            return CancelOutcome.NOT_NOW
        if run.outcome is Failure.CANCELLED:  # Midjourney's "(Stopped)" came first
            return CancelOutcome.CANCELLED
        if run.outcome is not None:  # its result came while the press was on its way
            return CancelOutcome.FINISHED
        # Settled here, not on Midjourney's answer to the press, which nobody has recorded.
        self._settle(run, Failure.CANCELLED)
        return CancelOutcome.CANCELLED

    # -- slots -----------------------------------------------------------------------------

    def _refill_all(self) -> None:
        for account in self.pool:
            self._refill(account)

    def _refill(self, account: Account) -> None:
        """Give each free slot of `account` its next job, in a task of its own: adopted jobs
        first (they are at Midjourney already, paused or not), then waiting ones it may run.

        Synchronous, so nothing else can take the same job or slot in between.
        """
        if not self._started:
            return
        while account.running < account.concurrency:
            turn = self._line.next_for(account)
            if turn is None:
                return
            account.running += 1
            slot = Slot(account, self._refill)
            task = asyncio.create_task(
                self._hold(turn.job_id, slot, adopted=turn.adopted),
                name=f"mj-{account.name}-{turn.job_id}",
            )
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)

    async def _hold(self, job_id: int, slot: Slot, *, adopted: bool) -> None:
        """One job in one slot, from its send to its outcome."""
        try:
            run = await (self._adopt(job_id, slot) if adopted else self._launch(job_id, slot))
            if run is not None:
                await self._await_outcome(run, slot)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _log.exception("job crashed", extra={"job_id": job_id})
            await self._fail(job_id, Failure.INTERNAL, type(exc).__name__)
        finally:
            slot.give_back()
            self._release(job_id)

    def _track_order(
        self, job_id: int, order: Order, nonce: str | None, account: Account
    ) -> Run:
        track = self._correlator.track(
            job_id,
            prompt=order.prompt,
            channel_id=account.channel_id,
            target_message_id=order.target_message_id,
            custom_id=order.custom_id,
            nonce=nonce,
        )
        run = Run(job_id=job_id, account=account, kind=order.kind, track=track)
        self._running[job_id] = run
        return run

    def _track(self, job: Job, account: Account) -> Run:
        assert job.id is not None
        run = self._track_order(job.id, Order.of(job), job.nonce, account)
        # SQLite hands datetimes back without their zone; they are UTC.
        run.track.since = job.created_at.replace(tzinfo=job.created_at.tzinfo or UTC)
        if job.status is JobStatus.RUNNING and job.progress_message_id:
            run.stored = (job.progress_message_id, job.interaction_id)
        known = MessageRef(job.progress_message_id or "", "", interaction_id=job.interaction_id)
        self._correlator.bind(run.track, known)
        return run

    def _release(self, job_id: int) -> None:
        run = self._running.pop(job_id, None)
        if run is None:
            return
        result_id = run.outcome.ref.message_id if isinstance(run.outcome, Completed) else None
        self._correlator.release(job_id, result_id)

    async def _launch(self, job_id: int, slot: Slot) -> Run | None:
        account = slot.account
        nonce = new_nonce()
        order = self._orders.pop(job_id, None)
        launch_write: asyncio.Task[bool] | None = None
        if order is not None and self._leases.sure:
            # Queued here, and no other process can have claimed it: send now, and store
            # beside the send. Stopped in between, the job is sent again after the restart
            # (Midjourney's late result is then matched by its prompt).
            order = order.on(account)
            launch_write = asyncio.create_task(
                self._store_launch(job_id, order.launch_changes(nonce, account))
            )
            self._launch_writes.add(launch_write)
            launch_write.add_done_callback(self._launch_writes.discard)
        else:
            order = await self._read_and_store_launch(job_id, order, nonce, account)
            if order is None:
                return None
        # Track before sending: Midjourney's first reply can beat the HTTP response.
        run = self._track_order(job_id, order, nonce, account)
        run.launch_write = launch_write
        run.slot = slot
        await self._emit(JobStarted(job_id))
        try:
            await account.backend.submit(order.interaction(nonce))
        except DiscordMaybeSent:
            # Discord may have taken it: Midjourney's messages (or the timeout) will tell.
            _log.warning("interaction maybe sent; waiting", extra={"job_id": job_id})
        except BridgeError as exc:
            detail = exc.message if isinstance(exc, DiscordHTTPError) else str(exc)
            await self._fail(job_id, Failure.DISCORD_REJECTED, detail)
            return None
        return run

    async def _read_and_store_launch(
        self, job_id: int, order: Order | None, nonce: str, account: Account
    ) -> Order | None:
        """Stored before sending, guarded by its status: a job another process may have
        taken (or one queued before a restart, read here) is sent by one process only."""
        async with self.db.transaction() as session:
            if order is None:
                job = await get_job(session=session, job_id=job_id)
                if job is None or job.status is not JobStatus.QUEUED:
                    return None
                order = Order.of(job)
            order = order.on(account)
            changes = order.launch_changes(nonce, account)
            if not await launch_job(
                session=session, job_id=job_id, from_status=JobStatus.QUEUED, **changes
            ):
                return None
        return order

    async def _store_launch(self, job_id: int, changes: dict[str, object]) -> bool:
        # Made just before the send, this task would run first. On Python 3.11 aiohttp writes
        # a request's body in a task of its own: let that go out before this transaction starts.
        await asyncio.sleep(0)
        async with self.db.transaction() as session:
            return await launch_job(
                session=session, job_id=job_id, from_status=JobStatus.QUEUED, **changes
            )

    async def _launch_written(self, run: Run | None) -> None:
        """Wait for a SUBMITTED write that ran beside the send: every later write of the job
        waits for it (shielded: it must land even when a waiter is cancelled)."""
        if run is None or run.launch_write is None:
            return
        if not await asyncio.shield(run.launch_write):
            # Only a row changed behind this process's back (its lease was held) gets here.
            _log.error("a job sent here was no longer queued", extra={"job_id": run.job_id})

    async def _adopt(self, job_id: int, slot: Slot) -> Run | None:
        run = self._running.get(job_id)
        if run is None:
            return None
        run.slot = slot
        if not run.resend:
            return run
        # No trace of it in the channel: it may never have reached Discord. The same nonce
        # again is harmless if it did, since Discord drops a repeated nonce.
        async with self.db.transaction() as session:
            job = await get_job(session=session, job_id=job_id)
        assert job is not None
        assert job.nonce is not None
        try:
            await run.account.backend.submit(Order.of(job).interaction(job.nonce))
        except DiscordMaybeSent:
            _log.warning("interaction maybe sent; waiting", extra={"job_id": job_id})
        except BridgeError as exc:
            await self._fail(job_id, Failure.DISCORD_REJECTED, str(exc))
            return None
        return run

    async def _await_outcome(self, run: Run, slot: Slot) -> None:
        while True:
            if not await self._wait_for_outcome(run):
                await self._fail(run.job_id, Failure.TIMEOUT, "")
                return
            outcome = run.outcome
            if isinstance(outcome, Completed):
                # Given back already when the result came in (on_mj_event), unless it came
                # before this task held the slot. Then one turn of the loop for the next job's
                # send to go out before this job's bookkeeping.
                slot.give_back()
                await asyncio.sleep(0)
                if await self._succeed(run.job_id, outcome):
                    return
                # A guessed message that was another job's: this one is still at Midjourney.
                # Its slot may have gone to the next job, so the account runs one over its
                # concurrency until this one ends.
                slot.take_again()
                run.outcome = None
                run.track.open = True
            elif isinstance(outcome, Failed):
                await self._fail(run.job_id, outcome.kind.value, outcome.reason)
                if outcome.kind.needs_account_action:
                    reason = f"{outcome.title}: {outcome.reason}".strip(": ")
                    await self.pause(reason, run.account.name)
                return
            else:
                assert outcome is not None
                await self._fail(run.job_id, outcome, "")
                return

    async def _wait_for_outcome(self, run: Run) -> bool:
        """Until the run has an outcome (True), or no news for job_timeout (False).

        The timeout counts from the last news, not from the start: a slow but alive job is
        fine, a silent one frees its slot.
        """
        while run.outcome is None:
            if run.modal is not None:
                modal, run.modal = run.modal, None
                await self._submit_modal(run, modal)
                continue
            if run.iframe is not None:
                iframe, run.iframe = run.iframe, None
                try:
                    await send_mask(
                        db=self.db,
                        backend=run.account.backend,
                        job_id=run.job_id,
                        custom_id=iframe.custom_id,
                    )
                except InpaintRefused as exc:
                    await self._fail(run.job_id, Failure.INPAINT_REFUSED, exc.reason)
                    run.outcome = Failure.INPAINT_REFUSED
                continue
            run.news.clear()
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation
                # that lands together with the news, and the slot task would outlive stop().
                async with asyncio.timeout(self.job_timeout):
                    await run.news.wait()
            except TimeoutError:
                return False
        return True

    async def _submit_modal(self, run: Run, modal: ModalOpened) -> None:
        """Fill in the form Midjourney opened (custom zoom, remix) and send it."""
        nonce = new_nonce()
        async with self.db.transaction() as session:
            job = await update_job(session=session, job_id=run.job_id, nonce=nonce)
        self._correlator.set_nonce(run.track, nonce)
        text = job.modal_text or job.prompt
        interaction = Interaction(
            nonce=nonce,
            custom_id=modal.custom_id,
            modal_id=modal.interaction_id,
            fields=tuple((field_id, text) for field_id in modal.field_ids[:1]),
        )
        try:
            await run.account.backend.submit(interaction)
        except DiscordMaybeSent:
            _log.warning("modal submit maybe sent; waiting", extra={"job_id": run.job_id})
        except BridgeError as exc:
            _log.warning("modal submit refused", extra={"job_id": run.job_id, "error": str(exc)})
            self._settle(run, Failure.DISCORD_REJECTED)

    # -- account health ------------------------------------------------------------------------

    async def pause(self, reason: str, account: str) -> None:
        """Send nothing more on `account` until `resume()`: Midjourney wants a person to look
        at it (captcha, plan...). The other accounts go on."""
        target = self.pool.pause(account, reason)
        if target is None:
            return
        async with self.db.transaction() as session:
            await set_state(session=session, key=paused_key(target), value=reason)
        _log.warning("Midjourney account paused", extra={"account": account, "reason": reason})
        # Held: what only this account may run, or everything when no account is left.
        everything = self.paused is not None
        held = self._line.held_by(account, everything=everything)
        await self._emit(AccountPaused(reason, held, account))

    async def resume(self) -> None:
        """Every paused account takes jobs again."""
        paused = self.pool.resume()
        if not paused:
            return
        for account in paused:
            async with self.db.transaction() as session:
                await set_state(session=session, key=paused_key(account), value=None)
        self._refill_all()
        _log.info("Midjourney accounts resumed", extra={"accounts": len(paused)})
        await self._emit(AccountResumed(tuple(self._line)))

    # -- outcomes ---------------------------------------------------------------------------

    async def _succeed(self, job_id: int, result: Completed) -> bool:
        """Record the result; False if another job (of another process) has that message."""
        await self._launch_written(self._running.get(job_id))
        try:
            async with self.db.transaction() as session:
                await succeed_job(session=session, job_id=job_id, **result_columns(result))
        except IntegrityError:
            _log.warning(
                "result already taken by another job",
                extra={"job_id": job_id, "message_id": result.ref.message_id},
            )
            return False
        await self._emit(JobSucceeded(job_id))
        return True

    async def _fail(self, job_id: int, reason: str, detail: str) -> None:
        await self._launch_written(self._running.get(job_id))
        async with self.db.transaction() as session:
            if not await fail_job(session=session, job_id=job_id, kind=str(reason), detail=detail):
                return
        _log.info("job failed", extra={"job_id": job_id, "reason": str(reason)})
        await self._emit(JobFailed(job_id, str(reason), detail))

    async def _emit(self, event: JobEvent) -> None:
        for listener in self._listeners:
            try:
                await listener(event)
            except Exception:
                _log.exception("job listener failed", extra={"event": type(event).__name__})

    # -- Midjourney messages -------------------------------------------------------------------

    async def on_mj_event(self, event: MjEvent, *, guess: bool = True) -> None:
        """Take one parsed Midjourney message (the backends' sink, for both gateway sessions)."""
        correlator = self._correlator
        if correlator.duplicate(event):
            return
        if isinstance(event, Deleted):
            correlator.applied(event)
            # Midjourney deletes each progress message once the result is posted: nothing to
            # do. Any other deleted message may be a result whose buttons now cannot work.
            if not correlator.is_progress(event.message_id):
                await self._emit(ResultDeleted(event.message_id))
            return
        if isinstance(event, InteractionAck | ModalOpened):
            correlator.applied(event)
            if (asks := self._on_interaction_event(event)) is not None:
                await self._emit(JobAsks(asks.job_id))
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
        run = self._running.get(track.job_id) if track is not None else None
        if run is None or run.outcome is not None:
            if track is None:
                _log.debug("unmatched Midjourney message",
                           extra={"message_id": event.ref.message_id})  # fmt: skip
            return
        self._correlator.applied(event)
        self._correlator.bind(run.track, event.ref, hash_of(event))
        if isinstance(event, Failed) and run.cancelling and event.kind is ErrorKind.STOPPED:
            self._settle(run, Failure.CANCELLED)  # Midjourney's word for our cancel
            return
        if isinstance(event, Completed | Failed):
            self._settle(run, event)
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
                await self._launch_written(run)
                async with self.db.transaction() as session:
                    await record_progress(
                        session=session,
                        job_id=run.job_id,
                        progress=percent,
                        progress_message_id=event.ref.message_id,
                        interaction_id=interaction_id,
                    )
            except BaseException:
                run.stored = before
                raise
        await self._emit(JobProgress(run.job_id, percent, cancellable=run.cancel is not None))
        run.news.set()

    def _settle(self, run: Run, outcome: Completed | Failed | Failure) -> None:
        run.outcome = outcome
        run.track.open = False
        run.news.set()

    def _on_interaction_event(self, event: InteractionAck | ModalOpened) -> Run | None:
        """Apply an ack or a form; return the run when the form waits for the user."""
        track = self._correlator.for_nonce(event.nonce)
        run = self._running.get(track.job_id) if track is not None else None
        if run is None or run.outcome is not None:
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
            self._settle(run, Failure.REFUSED)
            return None
        run.news.set()
        return None

    async def answer(self, job_id: int, text: str) -> bool:
        """Fill in the form a job waits on (JobAsks) with the user's words and send it; False
        when the job no longer waits (it timed out, or the bot restarted since)."""
        run = self._running.get(job_id)
        if run is None or run.asking is None or run.outcome is not None:
            return False
        async with self.db.transaction() as session:
            await update_job(session=session, job_id=job_id, modal_text=text)
        run.modal, run.asking = run.asking, None
        run.news.set()
        return True

    def _on_iframe(self, event: IframeOpened) -> None:
        """Vary (Region)'s editor opened: its job is the nonce's, else the oldest Vary (Region)
        still waiting for one (a dispatch found by its custom_id may carry no nonce)."""
        track = self._correlator.for_nonce(event.nonce)
        run = self._running.get(track.job_id) if track is not None else None
        if run is None:
            waiting = [
                r
                for r in self._running.values()
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

"""Runs jobs through Midjourney: a fair waiting queue, each account's slots, correlation,
timeouts, and account health.

A slot is one account's place for one job at Midjourney. Each job that takes a slot runs in a
task of its own from submission to its terminal outcome, and gives the slot back in a `finally`
at the latest, so no outcome (result, Midjourney error, Discord refusal, timeout, crash) can
leak a slot. A result gives it back before the result is recorded, and a freed slot is handed
its next job there and then (`_refill`): Midjourney's time is what the bridge must not waste.
A job goes to any healthy account with a free slot, except one that must stay on an account: a
button of a message that account posted, or pictures uploaded to its channel.

Correlating Midjourney's messages to jobs, most reliable first:
1. the nonce we sent, echoed on Midjourney's first reply;
2. the interaction id (interaction_metadata.id) that first reply carries, repeated on the final
   message, which has a new message id and no nonce;
3. the message id of a progress message we already bound (UPDATE and DELETE);
4. only for a final message nothing else explains (e.g. after a restart): the job whose
   button target or prompt matches, oldest first.
Two chats sending the same prompt are told apart by 1-3; 4 never sees them unless the
earlier steps missed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from bridge.accounts import Account
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
    Failure,
    JobAsks,
    JobEvent,
    JobFailed,
    JobListener,
    JobProgress,
    JobQueued,
    JobStarted,
    JobSucceeded,
)
from bridge.fair_queue import FairQueue
from bridge.inpaint import INPAINT_PREFIX, InpaintRefused, send_mask
from bridge.interactions import Interaction, Upload, new_nonce
from bridge.messages import (
    Button,
    Completed,
    Deleted,
    Failed,
    IframeOpened,
    InteractionAck,
    MessageRef,
    MjEvent,
    ModalOpened,
    Progress,
    Started,
)
from bridge.parser import parse
from bridge.prompts import prompt_key
from storage.buttons import expire_message_buttons
from storage.db import Database
from storage.jobs import get_job, move_job, set_job, set_job_unless_finished, update_job
from storage.leases import claim_jobs, lease, renew_leases
from storage.models import Job, JobKind, JobStatus
from storage.quota import charge, refund
from storage.state import get_state, set_state

_log = logging.getLogger(__name__)

_FINISHED_MEMORY = 5000
_DISCORD_EPOCH_MS = 1_420_070_400_000
_HISTORY = 100  # channel messages read at start; enough for an outage of a few minutes
_BUTTON_FIELDS = tuple(f.name for f in fields(Button))


def _button_json(button: Button) -> dict[str, object]:
    # dataclasses.asdict deep-copies every field of these flat records of strings and ints:
    # 3 % of the dispatcher's work per job on a busy gateway (bench.micro gateway).
    return {name: getattr(button, name) for name in _BUTTON_FIELDS}


def snowflake_time(snowflake: str) -> datetime | None:
    """When Discord made an id (milliseconds since 2015 in its top bits); None if not one."""
    if not snowflake.isdigit():
        return None
    return datetime.fromtimestamp(((int(snowflake) >> 22) + _DISCORD_EPOCH_MS) / 1000, UTC)


def _paused_key(account: Account) -> str:
    return f"paused:{account.name}"


# Forms whose words only the user can give (midjourney-2026.md 2.3): the job waits for them.
_USER_FORMS = ("MJ::AnimateModal::",)


def _command(kind: JobKind, custom_id: str | None) -> str | None:
    """The slash command a job sends; None when it presses a button. A video is a button
    (Animate, Extend) or an /imagine whose prompt has --video."""
    if kind is JobKind.ACTION or custom_id:
        return None
    return JobKind.IMAGINE.value if kind is JobKind.VIDEO else kind.value


@dataclass(frozen=True, slots=True)
class _Order:
    """What sending a job takes, kept from its submission so that a slot need not read it."""

    kind: JobKind
    prompt: str
    images: tuple[Upload, ...]
    target_message_id: str | None
    custom_id: str | None
    target_flags: int

    @classmethod
    def of(cls, job: Job) -> _Order:
        return cls(
            kind=job.kind,
            prompt=job.prompt,
            images=tuple(Upload(**image) for image in job.images),
            target_message_id=job.target_message_id,
            custom_id=job.custom_id,
            target_flags=job.target_flags,
        )

    def on(self, account: Account) -> _Order:
        """As sent on `account`: an imagine gets the account's speed unless it names one."""
        if self.kind is not JobKind.IMAGINE:
            return self
        return replace(self, prompt=account.with_mode(self.prompt))

    def launch_changes(self, nonce: str, account: Account) -> dict[str, object]:
        """What the job's row must say once it is sent (a restart then looks for it)."""
        prompt = {"prompt": self.prompt} if self.kind is JobKind.IMAGINE else {}
        return {"status": JobStatus.SUBMITTED, "nonce": nonce, "account": account.name, **prompt}

    def interaction(self, nonce: str) -> Interaction:
        return Interaction(
            nonce=nonce,
            command=_command(self.kind, self.custom_id),
            prompt=self.prompt,
            images=self.images,
            message_id=self.target_message_id,
            custom_id=self.custom_id,
            message_flags=self.target_flags,
        )


@dataclass(eq=False)
class _Run:
    """A job holding a slot."""

    job_id: int
    kind: JobKind
    prompt_key: str
    target_message_id: str | None
    custom_id: str | None
    account: Account
    nonce: str | None = None
    # A button that opens a modal, then the modal's submit: each is an interaction of its own.
    interaction_ids: list[str] = field(default_factory=list)
    message_ids: set[str] = field(default_factory=set)
    outcome: Completed | Failed | Failure | None = None
    modal: ModalOpened | None = None  # a form Midjourney opened, for the slot task to submit
    iframe: IframeOpened | None = None  # Vary (Region)'s editor, for the slot task to feed
    iframe_seen: bool = False
    asking: ModalOpened | None = None  # a form that waits for the user's words (answer())
    resend: bool = False  # adopted after a restart with no trace at Midjourney
    since: datetime | None = None  # when the job was made (adopted jobs: to match late results)
    # (progress message id, interaction id) last written with RUNNING: what a restart needs.
    stored: tuple[str, str | None] | None = None
    # The SUBMITTED write when it runs beside the send: later writes of the job wait for it.
    launch_write: asyncio.Task[bool] | None = None
    slot: _Slot | None = None  # set once its task holds one
    news: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(eq=False)
class _Slot:
    """The slot a job task holds: given back once (and taken again if the job turns out to be
    still at Midjourney), each give-back handing the account's next job its place."""

    account: Account
    on_free: Callable[[Account], None]
    held: bool = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.account.running -= 1
            self.on_free(self.account)

    def take_again(self) -> None:
        if not self.held:
            self.held = True
            self.account.running += 1


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
    ) -> None:
        if not accounts:
            raise ValueError("at least one account is needed")
        self.db = db
        self.accounts = {account.name: account for account in accounts}
        self.queue_limit = queue_limit
        self.instance = instance  # owns the jobs this process creates (storage/leases.py)
        self.lease_s = lease_s
        self.job_timeout = job_timeout
        self._listeners: list[JobListener] = []
        self._waiting = FairQueue()
        self._pinned: dict[int, str] = {}  # waiting job -> the account it must run on
        self._orders: dict[int, _Order] = {}  # waiting job -> what sending it takes
        # In flight before a restart, by account: wait for them, don't send them again.
        self._adopted: dict[str, deque[int]] = {name: deque() for name in self.accounts}
        # Until when (monotonic) no other process can have claimed our jobs: half a lease
        # after the last renewal. Until then, a job queued here is sent without waiting for
        # its SUBMITTED write (storage/leases.py).
        self._leases_sure_until = 0.0
        self._running: dict[int, _Run] = {}
        self._by_nonce: dict[str, _Run] = {}
        self._by_interaction: dict[str, _Run] = {}
        self._by_message: dict[str, _Run] = {}
        # Ids of finished jobs' messages: Midjourney edits a finished grid later (e.g. a used
        # button changes colour), and such an edit must not be guessed onto another job.
        # The value tells a result (True) from a progress message or interaction (False).
        self._finished_ids: OrderedDict[str, bool] = OrderedDict()
        self._workers: set[asyncio.Task[None]] = set()  # one per job holding a slot
        self._launch_writes: set[asyncio.Task[bool]] = set()
        self._keeper: asyncio.Task[None] | None = None
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------

    def subscribe(self, listener: JobListener) -> None:
        """Listeners must return quickly: slow work belongs in their own tasks."""
        self._listeners.append(listener)

    async def start(self) -> None:
        for account in self.accounts.values():
            await account.backend.start(self.on_mj_event)
            async with self.db.transaction() as session:
                account.paused = await get_state(session=session, key=_paused_key(account))
        claimed_at = time.monotonic()
        async with self.db.transaction() as session:
            jobs = await claim_jobs(
                session=session, owner=self.instance, lease_s=self.lease_s, mine=True
            )
        self._leases_sure_until = claimed_at + self.lease_s / 2
        # Finished but undelivered ones are the delivery's, at its own start.
        await self._take([job for job in jobs if not job.status.finished])
        self._started = True
        self._refill_all()
        self._keeper = asyncio.create_task(self._keep_leases(), name="mj-leases")

    async def aclose(self) -> None:
        """Stop the workers; jobs in flight stay in the database for the next start."""
        self._started = False
        tasks = [*self._workers, *([self._keeper] if self._keeper else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Let the SUBMITTED writes of jobs already sent land, or a restart would send them again.
        await asyncio.gather(*self._launch_writes, return_exceptions=True)
        self._workers.clear()
        self._keeper = None
        for account in self.accounts.values():
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
            await asyncio.sleep(self.lease_s / 3)
            try:
                renewed_at = time.monotonic()
                async with self.db.transaction() as session:
                    await renew_leases(session=session, owner=self.instance, lease_s=self.lease_s)
                    jobs = await claim_jobs(
                        session=session, owner=self.instance, lease_s=self.lease_s, mine=False
                    )
                self._leases_sure_until = renewed_at + self.lease_s / 2
                if jobs:
                    _log.warning("took over jobs of a stopped process", extra={"n": len(jobs)})
                await self._take([job for job in jobs if not job.status.finished])
                for job in jobs:
                    assert job.id is not None
                    if job.status is JobStatus.SUCCEEDED:
                        await self._emit(JobSucceeded(job.id))
                    elif job.status is JobStatus.FAILED:
                        await self._emit(JobFailed(job.id, job.error_kind or "", job.error or ""))
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("lease upkeep failed; trying again")

    async def _take(self, jobs: Sequence[Job]) -> None:
        """Pick up unfinished jobs claimed from the database (ours before a restart, or a
        stopped process's): queued ones wait again, sent ones are followed up."""
        interrupted: list[int] = []
        gone: list[int] = []
        adopted: dict[Account, list[_Run]] = {}
        for job in jobs:
            assert job.id is not None
            if job.status is JobStatus.PREPARING:
                interrupted.append(job.id)  # its pictures never reached Discord
            elif job.status is JobStatus.QUEUED:
                if job.account in self.accounts:
                    self._pinned[job.id] = job.account
                self._waiting.append(job.chat_id, job.id)
            else:
                # Rows from before the pool name no account: they ran on the first one.
                account = self.accounts.get(job.account or self._first.name)
                if account is None:
                    gone.append(job.id)
                    continue
                # Tracked now, so the history below can find it.
                adopted.setdefault(account, []).append(self._track(job, account))
        self._refill_all()
        for job_id in interrupted:
            await self._fail(job_id, Failure.LOST, "interrupted while uploading pictures")
        for job_id in gone:
            await self._fail(job_id, Failure.LOST, "its account is no longer configured")
        if jobs:
            counts = {"jobs": len(jobs), "in_flight": sum(map(len, adopted.values()))}
            _log.info("picked up jobs", extra=counts)
        for account, runs in adopted.items():
            await self._catch_up(account, runs)
            # Queued for a slot only after the catch-up has decided which need sending again.
            self._adopted[account.name].extend(run.job_id for run in runs)
            self._refill(account)

    async def _catch_up(self, account: Account, runs: list[_Run]) -> None:
        """Read what Midjourney posted while we were away, for the jobs that were in flight."""
        try:
            history = await account.backend.history(limit=_HISTORY)
        except BridgeError:
            _log.warning("channel history unavailable; waiting for new messages", exc_info=True)
            return
        events = [parse("MESSAGE_CREATE", message) for message in reversed(history)]
        for event in events:  # oldest first, as it happened
            if event is not None:
                # No guessing by prompt here: an old result of another job must not be taken.
                await self.on_mj_event(event, guess=False)
        for run in runs:
            if run.outcome is not None or run.message_ids or run.interaction_ids:
                continue
            # Sent just before the stop, and finished meanwhile: its only trace is its result
            # (the reply that echoed the nonce is deleted once the result is posted). Take a
            # result of its prompt, posted after the job was made, that nobody else has.
            result = next((e for e in events if self._late_result_of(run, e)), None)
            if result is None:
                run.resend = True
                continue
            assert isinstance(result, Completed | Failed)
            self._bind(run, result.ref)
            run.outcome = result
            run.news.set()

    def _late_result_of(self, run: _Run, event: MjEvent | None) -> bool:
        if not isinstance(event, Completed | Failed) or event.prompt is None:
            return False
        ref = event.ref
        if ref.message_id in self._by_message or ref.message_id in self._finished_ids:
            return False
        posted = snowflake_time(ref.message_id)
        return (
            posted is not None
            and run.since is not None
            and posted >= run.since
            and prompt_key(event.prompt) == run.prompt_key
        )

    # -- submitting ----------------------------------------------------------------------------

    @property
    def _first(self) -> Account:
        return next(iter(self.accounts.values()))

    @property
    def paused(self) -> str | None:
        """Why nothing can be sent, when every account needs attention; else None."""
        reasons = [account.paused for account in self.accounts.values()]
        if any(reason is None for reason in reasons):
            return None
        return "; ".join(str(reason) for reason in reasons)

    @property
    def in_flight(self) -> int:
        return len(self._running)

    @property
    def waiting(self) -> int:
        return len(self._waiting) + sum(len(queue) for queue in self._adopted.values())

    def pick_account(self) -> Account:
        """Where new work goes now: the healthy account with the most free slots."""
        healthy = [account for account in self.accounts.values() if account.healthy]
        return max(healthy or self.accounts.values(), key=lambda account: account.free)

    async def fetch(self, url: str, account: str | None = None) -> bytes:
        """Download a result image (through its account when known: CDN links are signed)."""
        return await self.accounts.get(account or "", self._first).backend.fetch(url)

    def check_capacity(self) -> None:
        """Raise QueueFull (or Paused) before a caller spends quota on a job that cannot run."""
        if not self._started:
            raise NotRunning("the dispatcher is not running")
        if (reason := self.paused) is not None:
            raise Paused(reason)
        free_slots = sum(account.free for account in self.accounts.values())
        if len(self._waiting) - free_slots >= self.queue_limit:
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
            self._orders[job_id] = _Order.of(job)
        if account not in self.accounts:
            # An account since removed from the pool: any account may try (Discord refuses a
            # message it cannot see, and the job fails clearly).
            account = None
        if account is not None:
            self._pinned[job_id] = account
        self._waiting.append(chat_id, job_id)
        self._refill_all()
        position = self._waiting.index(job_id) + 1 if job_id in self._waiting else 0
        await self._emit(JobQueued(job_id, position))
        return position

    # -- slots -----------------------------------------------------------------------------

    def _refill_all(self) -> None:
        for account in self.accounts.values():
            self._refill(account)

    def _refill(self, account: Account) -> None:
        """Give each free slot of `account` its next job, in a task of its own: adopted jobs
        first (they are at Midjourney already, paused or not), then waiting ones it may run.

        Synchronous, so nothing else can take the same job or slot in between.
        """
        if not self._started:
            return
        adopted = self._adopted[account.name]

        def runnable(job_id: int) -> bool:
            return self._pinned.get(job_id, account.name) == account.name

        while account.running < account.concurrency:
            if adopted:
                job_id: int | None = adopted.popleft()
                was_adopted = True
            elif account.healthy:
                job_id = self._waiting.pop_first(runnable)
                was_adopted = False
            else:
                job_id = None
            if job_id is None:
                return
            self._pinned.pop(job_id, None)
            account.running += 1
            slot = _Slot(account, self._refill)
            task = asyncio.create_task(
                self._hold(job_id, slot, adopted=was_adopted), name=f"mj-{account.name}-{job_id}"
            )
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)

    async def _hold(self, job_id: int, slot: _Slot, *, adopted: bool) -> None:
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
        self, job_id: int, order: _Order, nonce: str | None, account: Account
    ) -> _Run:
        run = _Run(
            job_id=job_id,
            account=account,
            kind=order.kind,
            prompt_key=prompt_key(order.prompt),
            target_message_id=order.target_message_id,
            custom_id=order.custom_id,
            nonce=nonce,
        )
        self._running[job_id] = run
        if nonce:
            self._by_nonce[nonce] = run
        return run

    def _track(self, job: Job, account: Account) -> _Run:
        assert job.id is not None
        run = self._track_order(job.id, _Order.of(job), job.nonce, account)
        # SQLite hands datetimes back without their zone; they are UTC.
        run.since = job.created_at.replace(tzinfo=job.created_at.tzinfo or UTC)
        if job.status is JobStatus.RUNNING and job.progress_message_id:
            run.stored = (job.progress_message_id, job.interaction_id)
        if job.interaction_id:
            run.interaction_ids.append(job.interaction_id)
            self._by_interaction[job.interaction_id] = run
        if job.progress_message_id:
            run.message_ids.add(job.progress_message_id)
            self._by_message[job.progress_message_id] = run
        return run

    def _release(self, job_id: int) -> None:
        run = self._running.pop(job_id, None)
        if run is None:
            return
        if run.nonce:
            self._by_nonce.pop(run.nonce, None)
        result_id = run.outcome.ref.message_id if isinstance(run.outcome, Completed) else None
        for interaction_id in run.interaction_ids:
            self._by_interaction.pop(interaction_id, None)
            self._finished_ids[interaction_id] = False
        for message_id in run.message_ids:
            self._by_message.pop(message_id, None)
            self._finished_ids[message_id] = message_id == result_id
        while len(self._finished_ids) > _FINISHED_MEMORY:
            self._finished_ids.popitem(last=False)

    async def _launch(self, job_id: int, slot: _Slot) -> _Run | None:
        account = slot.account
        nonce = new_nonce()
        order = self._orders.pop(job_id, None)
        launch_write: asyncio.Task[bool] | None = None
        if order is not None and time.monotonic() < self._leases_sure_until:
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
        self, job_id: int, order: _Order | None, nonce: str, account: Account
    ) -> _Order | None:
        """Stored before sending, guarded by its status: a job another process may have
        taken (or one queued before a restart, read here) is sent by one process only."""
        async with self.db.transaction() as session:
            if order is None:
                job = await get_job(session=session, job_id=job_id)
                if job is None or job.status is not JobStatus.QUEUED:
                    return None
                order = _Order.of(job)
            order = order.on(account)
            changes = order.launch_changes(nonce, account)
            if not await move_job(
                session=session, job_id=job_id, from_status=JobStatus.QUEUED, **changes
            ):
                return None
        return order

    async def _store_launch(self, job_id: int, changes: dict[str, object]) -> bool:
        # Made just before the send, this task would run first. On Python 3.11 aiohttp writes
        # a request's body in a task of its own: let that go out before this transaction starts.
        await asyncio.sleep(0)
        async with self.db.transaction() as session:
            return await move_job(
                session=session, job_id=job_id, from_status=JobStatus.QUEUED, **changes
            )

    async def _launch_written(self, run: _Run | None) -> None:
        """Wait for a SUBMITTED write that ran beside the send: every later write of the job
        waits for it (shielded: it must land even when a waiter is cancelled)."""
        if run is None or run.launch_write is None:
            return
        if not await asyncio.shield(run.launch_write):
            # Only a row changed behind this process's back (its lease was held) gets here.
            _log.error("a job sent here was no longer queued", extra={"job_id": run.job_id})

    async def _adopt(self, job_id: int, slot: _Slot) -> _Run | None:
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
            await run.account.backend.submit(_Order.of(job).interaction(job.nonce))
        except DiscordMaybeSent:
            _log.warning("interaction maybe sent; waiting", extra={"job_id": job_id})
        except BridgeError as exc:
            await self._fail(job_id, Failure.DISCORD_REJECTED, str(exc))
            return None
        return run

    async def _await_outcome(self, run: _Run, slot: _Slot) -> None:
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

    async def _wait_for_outcome(self, run: _Run) -> bool:
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

    async def _submit_modal(self, run: _Run, modal: ModalOpened) -> None:
        """Fill in the form Midjourney opened (custom zoom, remix) and send it."""
        nonce = new_nonce()
        async with self.db.transaction() as session:
            job = await update_job(session=session, job_id=run.job_id, nonce=nonce)
        self._rebind_nonce(run, nonce)
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
            run.outcome = Failure.DISCORD_REJECTED

    def _rebind_nonce(self, run: _Run, nonce: str) -> None:
        if run.nonce:
            self._by_nonce.pop(run.nonce, None)
        run.nonce = nonce
        self._by_nonce[nonce] = run

    # -- account health ------------------------------------------------------------------------

    async def pause(self, reason: str, account: str) -> None:
        """Send nothing more on `account` until `resume()`: Midjourney wants a person to look
        at it (captcha, plan...). The other accounts go on."""
        target = self.accounts[account]
        if target.paused is not None:
            return
        target.paused = reason
        async with self.db.transaction() as session:
            await set_state(session=session, key=_paused_key(target), value=reason)
        _log.warning("Midjourney account paused", extra={"account": account, "reason": reason})
        # Held: what only this account may run, or everything when no account is left.
        everything = self.paused is not None
        held = tuple(j for j in self._waiting if everything or self._pinned.get(j) == account)
        await self._emit(AccountPaused(reason, held, account))

    async def resume(self) -> None:
        """Every paused account takes jobs again."""
        paused = [account for account in self.accounts.values() if account.paused is not None]
        if not paused:
            return
        for account in paused:
            account.paused = None
            async with self.db.transaction() as session:
                await set_state(session=session, key=_paused_key(account), value=None)
        self._refill_all()
        _log.info("Midjourney accounts resumed", extra={"accounts": len(paused)})
        await self._emit(AccountResumed(tuple(self._waiting)))

    # -- outcomes ---------------------------------------------------------------------------

    async def _succeed(self, job_id: int, result: Completed) -> bool:
        """Record the result; False if another job (of another process) has that message."""
        image = result.image
        await self._launch_written(self._running.get(job_id))
        try:
            async with self.db.transaction() as session:
                await set_job(
                    session=session,
                    job_id=job_id,
                    status=JobStatus.SUCCEEDED,
                    progress=100,
                    result_message_id=result.ref.message_id,
                    result_flags=result.ref.flags,
                    result_hash=result.job_hash,
                    result_url=image.url if image else None,
                    result_filename=image.filename if image else None,
                    result_kind=result.kind.value,
                    buttons=[_button_json(button) for button in result.buttons],
                    texts=list(result.texts),
                )
                await charge(session=session, job_id=job_id)
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
            job = await get_job(session=session, job_id=job_id)
            if job is None or job.status.finished:
                return
            await update_job(
                session=session,
                job_id=job_id,
                status=JobStatus.FAILED,
                error_kind=str(reason),
                error=detail[:500],
            )
            await refund(session=session, job_id=job_id)
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
        """Take one parsed Midjourney message (the backend's sink)."""
        if isinstance(event, Deleted):
            # Midjourney deletes each progress message once the result is posted: nothing to
            # do. Any other deleted message may be a result whose buttons now cannot work.
            progress = event.message_id in self._by_message
            if not progress and self._finished_ids.get(event.message_id) is not False:
                async with self.db.transaction() as session:
                    await expire_message_buttons(
                        session=session, discord_message_id=event.message_id
                    )
            return
        if isinstance(event, InteractionAck | ModalOpened):
            if (asks := self._on_interaction_event(event)) is not None:
                await self._emit(JobAsks(asks.job_id))
            return
        if isinstance(event, IframeOpened):
            self._on_iframe(event)
            return
        run = self._match(event, guess=guess)
        if run is None or run.outcome is not None:
            return
        self._bind(run, event.ref)
        if isinstance(event, Completed | Failed):
            run.outcome = event
            if isinstance(event, Completed) and run.slot is not None:
                # Midjourney is done with it: the slot's next job is sent now, before the
                # result is recorded and before this job's task even wakes up to record it.
                run.slot.give_back()
        elif isinstance(event, Progress | Started):
            percent = event.percent if isinstance(event, Progress) else None
            interaction_id = run.interaction_ids[-1] if run.interaction_ids else None
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
                        await set_job_unless_finished(
                            session=session,
                            job_id=run.job_id,
                            status=JobStatus.RUNNING,
                            progress=percent,
                            progress_message_id=event.ref.message_id,
                            interaction_id=interaction_id,
                        )
                except BaseException:
                    run.stored = before
                    raise
            await self._emit(JobProgress(run.job_id, percent))
        run.news.set()

    def _on_interaction_event(self, event: InteractionAck | ModalOpened) -> _Run | None:
        """Apply an ack or a form; return the run when the form waits for the user."""
        run = self._by_nonce.get(event.nonce)
        if run is None or run.outcome is not None:
            return None
        if isinstance(event, ModalOpened) and event.custom_id.startswith(_USER_FORMS):
            run.asking = event
            return run
        if isinstance(event, ModalOpened):
            run.modal = event
        elif event.accepted:
            # The id that Midjourney's result messages will carry in interaction_metadata.
            self._bind(run, MessageRef("", "", interaction_id=event.interaction_id))
        else:
            run.outcome = Failure.REFUSED
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
        run = self._by_nonce.get(event.nonce) if event.nonce else None
        if run is None:
            waiting = [
                r
                for r in self._running.values()
                if (r.custom_id or "").startswith(INPAINT_PREFIX) and not r.iframe_seen
            ]
            run = min(waiting, key=lambda r: r.job_id, default=None)
        if run is None or run.outcome is not None or run.iframe_seen:
            return
        run.iframe, run.iframe_seen = event, True
        if event.interaction_id:
            self._bind(run, MessageRef("", "", interaction_id=event.interaction_id))
        run.news.set()

    def _match(
        self, event: Started | Progress | Completed | Failed, *, guess: bool
    ) -> _Run | None:
        ref = event.ref
        for index, key in (
            (self._by_nonce, ref.nonce),
            (self._by_interaction, ref.interaction_id),
            (self._by_message, ref.message_id),
        ):
            if key and (run := index.get(key)) is not None:
                return run
        finished = ref.message_id in self._finished_ids or ref.interaction_id in self._finished_ids
        if guess and isinstance(event, Completed | Failed) and not finished:
            return self._guess(event)
        return None

    def _guess(self, event: Completed | Failed) -> _Run | None:
        channel = event.ref.channel_id
        open_runs = [
            run
            for run in self._running.values()
            if run.outcome is None and run.account.channel_id in (None, channel)
        ]
        candidates: list[_Run] = []
        reference = event.ref.reference_id
        if reference:
            candidates = [run for run in open_runs if run.target_message_id == reference]
            index = event.index if isinstance(event, Completed) else None
            if index is not None and len(candidates) > 1:
                needle = f"::{index}::"
                candidates = [run for run in candidates if needle in (run.custom_id or "")]
        if not candidates and event.prompt is not None:
            key = prompt_key(event.prompt)
            # Only jobs that never got a message bound: a bound job would have matched by id.
            candidates = [
                run for run in open_runs if run.prompt_key == key and not run.interaction_ids
            ]
        if not candidates:
            _log.debug("unmatched Midjourney message", extra={"message_id": event.ref.message_id})
            return None
        if len(candidates) > 1:
            _log.warning(
                "ambiguous Midjourney message, taking the oldest job",
                extra={"message_id": event.ref.message_id, "candidates": len(candidates)},
            )
        return min(candidates, key=lambda run: run.job_id)

    def _bind(self, run: _Run, ref: MessageRef) -> None:
        if ref.interaction_id and ref.interaction_id not in run.interaction_ids:
            run.interaction_ids.append(ref.interaction_id)
            self._by_interaction.setdefault(ref.interaction_id, run)
        if ref.message_id and ref.message_id not in run.message_ids:
            run.message_ids.add(ref.message_id)
            self._by_message.setdefault(ref.message_id, run)

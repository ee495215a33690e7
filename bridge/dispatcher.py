"""Runs jobs through Midjourney: the facade that owns each job's run, from its place in the
fair queue to its terminal outcome.

A slot is one account's place for one job at Midjourney. Each job that takes a slot runs in a
task of its own (`_hold`) from submission to its terminal outcome, and gives the slot back in
a `finally` at the latest, so no outcome (result, Midjourney error, Discord refusal, timeout,
crash) can leak a slot. A result gives it back before the result is recorded, and a freed slot
is handed its next job there and then (`_refill`): Midjourney's time is what the bridge must
not waste. A job goes to any healthy account with a free slot, except one that must stay on an
account: a button of a message that account posted, or pictures uploaded to its channel.

The pieces, each behind a small interface: the line of waiting jobs and the slots
(bridge/slots.py), the account pool and its health (bridge/health.py), restart recovery and
leases (bridge/recovery.py, kept and claimed by bridge/lease_upkeep.py), the runs in hand
(bridge/runs.py), correlation (bridge/correlation.py), Midjourney's messages taken in
(bridge/intake.py), a job's send (bridge/launch.py), its wait for an outcome
(bridge/outcomes.py), and what it writes and tells the subscriber (bridge/journal.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bridge.accounts import Account
from bridge.correlation import Correlator
from bridge.errors import NotRunning, Paused, QueueFull
from bridge.events import (
    AccountPaused,
    AccountResumed,
    CancelOutcome,
    Failure,
    JobListener,
    JobQueued,
)
from bridge.health import AccountPool, paused_key
from bridge.intake import Intake
from bridge.journal import Journal
from bridge.launch import Launcher
from bridge.lease_upkeep import LeaseUpkeep
from bridge.messages import MjEvent
from bridge.outcomes import Outcomes
from bridge.recovery import LeaseClock
from bridge.runs import Runs
from bridge.slots import Line, Slot
from bridge.staging import Stage
from bridge.status import Status
from storage.db import Database
from storage.leases import lease
from storage.models import Job
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
        self._line = Line(self.pool.names())
        self._leases = LeaseClock(lease_s)
        self._runs = Runs(Correlator())
        self._journal = Journal(db)
        # How long a message that only a shared prompt points at waits for the other gateway
        # session's copy, which may carry a key, before it goes to the oldest of those jobs.
        self._intake = Intake(self._runs, self._journal, guess_delay=guess_delay)
        self._launcher = Launcher(self._runs, self._journal, self._leases)
        self._outcomes = Outcomes(
            self._journal, self._runs.correlator, job_timeout=job_timeout, pause=self.pause
        )
        self._upkeep = LeaseUpkeep(
            db=db, owner=instance, leases=self._leases, pool=self.pool, line=self._line,
            runs=self._runs, intake=self._intake, journal=self._journal, refill=self._refill,
        )  # fmt: skip
        self._workers: set[asyncio.Task[None]] = set()  # one per job holding a slot
        self._keeper: asyncio.Task[None] | None = None
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------

    def subscribe(self, listener: JobListener) -> None:
        """Listeners must return quickly: slow work belongs in their own tasks."""
        self._journal.subscribe(listener)

    async def start(self) -> None:
        for account in self.pool:
            await account.backend.start(self.on_mj_event)
            async with self.db.transaction() as session:
                account.paused = await get_state(session=session, key=paused_key(account))
        await self._upkeep.claim_mine()
        self._started = True
        self._refill_all()
        self._keeper = asyncio.create_task(self._upkeep.keep(), name="mj-leases")

    async def aclose(self) -> None:
        """Stop the workers; jobs in flight stay in the database for the next start."""
        self._started = False
        keeper = [self._keeper] if self._keeper else []
        tasks = [*self._workers, *self._intake.pending(), *keeper]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Let the SUBMITTED writes of jobs already sent land, or a restart would send them again.
        await self._journal.drain()
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

    # -- submitting ----------------------------------------------------------------------------

    @property
    def paused(self) -> str | None:
        """Why nothing can be sent, when every account needs attention; else None."""
        return self.pool.paused

    @property
    def in_flight(self) -> int:
        return len(self._runs)

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
            self._launcher.keep(job_id, job)
        if account not in self.pool:
            # An account since removed from the pool: any account may try (Discord refuses a
            # message it cannot see, and the job fails clearly).
            account = None
        self._line.queue(chat_id, job_id, account)
        self._refill_all()
        position = self._line.place(job_id)
        await self._journal.emit(JobQueued(job_id, position))
        return position

    async def cancel(self, job_id: int) -> CancelOutcome:
        """Cancel a job of ours: a waiting one leaves the queue; a running one is stopped at
        Midjourney (its Cancel Job button pressed). Either way it fails as cancelled, which
        refunds it and frees its slot. A job that has its outcome already is left to it."""
        if self._line.remove(job_id):
            self._launcher.drop(job_id)
            await self._journal.fail(job_id, Failure.CANCELLED, "")
            return CancelOutcome.CANCELLED
        run = self._runs.open(job_id)
        if run is None:
            return CancelOutcome.FINISHED
        return await self._outcomes.cancel(run)

    async def answer(self, job_id: int, text: str) -> bool:
        """Fill in the form a job waits on (JobAsks) with the user's words and send it; False
        when the job no longer waits (it timed out, or the bot restarted since)."""
        return await self._intake.answer(job_id, text)

    async def on_mj_event(self, event: MjEvent, *, guess: bool = True) -> None:
        """Take one parsed Midjourney message (the backends' sink, for both gateway sessions)."""
        await self._intake.take(event, guess=guess)

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
        send = self._launcher.adopt if adopted else self._launcher.launch
        try:
            run = await send(job_id, slot)
            if run is not None:
                await self._outcomes.await_outcome(run, slot)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _log.exception("job crashed", extra={"job_id": job_id})
            await self._journal.fail(job_id, Failure.INTERNAL, type(exc).__name__)
        finally:
            slot.give_back()
            self._runs.release(job_id)
            self._journal.forget(job_id)

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
        await self._journal.emit(AccountPaused(reason, held, account))

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
        await self._journal.emit(AccountResumed(tuple(self._line)))

"""Leases kept and claimed jobs picked up: the part of restart recovery that reads and writes.

At start a process claims its own unfinished jobs (`claim_mine`); while it runs it renews its
leases and takes over the jobs of a process that stopped renewing (`keep`). Either way the
jobs are sorted by bridge/recovery.py: queued ones wait in the line again, sent ones are
followed up on their account once the channel's latest messages have been read for what
Midjourney posted meanwhile, and the rest fail. The dispatcher hands its free slots their next
jobs whenever `refill(account)` is called; nothing here runs a job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from bridge.accounts import Account
from bridge.errors import BridgeError
from bridge.events import Failure
from bridge.health import AccountPool
from bridge.intake import Intake
from bridge.journal import Journal
from bridge.recovery import HISTORY, LeaseClock, history_events, outcomes_of, sort_claimed
from bridge.runs import Run, Runs
from bridge.slots import Line
from storage.db import Database
from storage.leases import claim_jobs, renew_leases
from storage.models import Job

_log = logging.getLogger(__name__)


class LeaseUpkeep:
    def __init__(
        self,
        *,
        db: Database,
        owner: str,
        leases: LeaseClock,
        pool: AccountPool,
        line: Line,
        runs: Runs,
        intake: Intake,
        journal: Journal,
        refill: Callable[[Account], None],
    ) -> None:
        self._db = db
        self._owner = owner
        self._leases = leases
        self._pool = pool
        self._line = line
        self._runs = runs
        self._intake = intake
        self._journal = journal
        self._refill = refill

    async def claim_mine(self) -> None:
        """Take our own unfinished jobs from before a restart. Finished but undelivered ones
        are the delivery's, at its own start."""
        claimed_at = self._leases.now()
        async with self._db.transaction() as session:
            jobs = await claim_jobs(
                session=session, owner=self._owner, lease_s=self._leases.lease_s, mine=True
            )
        self._leases.renewed(claimed_at)
        await self.take(jobs)

    async def keep(self) -> None:
        """Renew our jobs' leases; take over the jobs of a process that stopped renewing."""
        lease_s = self._leases.lease_s
        while True:
            await asyncio.sleep(self._leases.renew_every)
            try:
                renewed_at = self._leases.now()
                async with self._db.transaction() as session:
                    await renew_leases(session=session, owner=self._owner, lease_s=lease_s)
                    jobs = await claim_jobs(
                        session=session, owner=self._owner, lease_s=lease_s, mine=False
                    )
                self._leases.renewed(renewed_at)
                if jobs:
                    _log.warning("took over jobs of a stopped process", extra={"n": len(jobs)})
                await self.take(jobs)
                for event in outcomes_of(jobs):
                    await self._journal.emit(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("lease upkeep failed; trying again")

    async def take(self, jobs: Sequence[Job]) -> None:
        """Pick up unfinished jobs claimed from the database (ours before a restart, or a
        stopped process's): queued ones wait again, sent ones are followed up."""
        claimed = sort_claimed(jobs, self._pool)
        for job in claimed.queued:
            assert job.id is not None
            pinned = job.account if job.account in self._pool else None
            self._line.queue(job.chat_id, job.id, pinned)
        adopted: dict[Account, list[Run]] = {}
        for name, in_flight in claimed.in_flight.items():
            account = self._pool.by_name[name]
            # Tracked now, so the history below can find them.
            adopted[account] = [self._runs.adopt(job, account) for job in in_flight]
        for account in self._pool:
            self._refill(account)
        for job_id in claimed.interrupted:
            await self._journal.fail(job_id, Failure.LOST, "interrupted while uploading pictures")
        for job_id in claimed.gone:
            await self._journal.fail(job_id, Failure.LOST, "its account is no longer configured")
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
        await self._intake.catch_up(history_events(history), runs)

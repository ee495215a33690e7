"""A job's send to Midjourney, once a slot is its: launched fresh, or adopted after a restart.

A job queued here, while no other process can have claimed it (the leases are sure), is sent
at once with its SUBMITTED write beside the send; otherwise the write comes first, guarded by
the job's status, so that one process only sends it. Either way the run is tracked before the
send: Midjourney's first reply can beat the HTTP response. An adopted job is followed up; it is
sent again only when the channel showed no trace of it (bridge/intake.py's catch-up).
"""

from __future__ import annotations

import logging

from bridge.errors import BridgeError, DiscordHTTPError, DiscordMaybeSent
from bridge.events import Failure, JobStarted
from bridge.interactions import new_nonce
from bridge.journal import Journal
from bridge.recovery import LeaseClock
from bridge.runs import Order, Run, Runs
from bridge.slots import Slot
from storage.models import Job

_log = logging.getLogger(__name__)


class Launcher:
    def __init__(self, runs: Runs, journal: Journal, leases: LeaseClock) -> None:
        self._runs = runs
        self._journal = journal
        self._leases = leases
        self._orders: dict[int, Order] = {}  # waiting job -> what sending it takes

    def keep(self, job_id: int, job: Job) -> None:
        """The row as just stored: its slot sends it without reading it back."""
        self._orders[job_id] = Order.of(job)

    def drop(self, job_id: int) -> None:
        """A waiting job left the queue."""
        self._orders.pop(job_id, None)

    async def launch(self, job_id: int, slot: Slot) -> Run | None:
        """Send a waiting job on the slot's account; None when it is not ours to send or
        Discord refused it (then it has failed)."""
        account = slot.account
        nonce = new_nonce()
        order = self._orders.pop(job_id, None)
        if order is not None and self._leases.sure:
            # Queued here, and no other process can have claimed it: send now, and store
            # beside the send. Stopped in between, the job is sent again after the restart
            # (Midjourney's late result is then matched by its prompt).
            order = order.on(account)
            self._journal.store_beside(job_id, order.launch_changes(nonce, account))
        else:
            order = await self._journal.store_launch(job_id, order, nonce, account)
            if order is None:
                return None
        # Track before sending: Midjourney's first reply can beat the HTTP response.
        run = self._runs.track(job_id, order, nonce, account)
        run.slot = slot
        await self._journal.emit(JobStarted(job_id))
        try:
            await account.backend.submit(order.interaction(nonce))
        except DiscordMaybeSent:
            # Discord may have taken it: Midjourney's messages (or the timeout) will tell.
            _log.warning("interaction maybe sent; waiting", extra={"job_id": job_id})
        except BridgeError as exc:
            detail = exc.message if isinstance(exc, DiscordHTTPError) else str(exc)
            await self._journal.fail(job_id, Failure.DISCORD_REJECTED, detail)
            return None
        return run

    async def adopt(self, job_id: int, slot: Slot) -> Run | None:
        """Follow up a job sent before a restart, sending it again if it left no trace."""
        run = self._runs.get(job_id)
        if run is None:
            return None
        run.slot = slot
        if not run.resend:
            return run
        # No trace of it in the channel: it may never have reached Discord. The same nonce
        # again is harmless if it did, since Discord drops a repeated nonce.
        job = await self._journal.read(job_id)
        assert job is not None
        assert job.nonce is not None
        try:
            await run.account.backend.submit(Order.of(job).interaction(job.nonce))
        except DiscordMaybeSent:
            _log.warning("interaction maybe sent; waiting", extra={"job_id": job_id})
        except BridgeError as exc:
            await self._journal.fail(job_id, Failure.DISCORD_REJECTED, str(exc))
            return None
        return run

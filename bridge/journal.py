"""What a job's run reads and writes in storage, and what it tells the subscriber.

Every write of a job on its way through Midjourney goes through here, onto storage/jobs.py's
lifecycle (`launch_job`, `record_progress`, `succeed_job`, `fail_job`): the quota is settled
there, once, whoever calls. A SUBMITTED write may run beside the send (`store_beside`); every
later write of that job waits for it, shielded, so that it lands even when a waiter is
cancelled and no later write can overtake it (arq's shielded finish_job is the model).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import IntegrityError

from bridge.accounts import Account
from bridge.backend import Backend
from bridge.events import JobEvent, JobFailed, JobListener, JobSucceeded
from bridge.inpaint import send_mask
from bridge.messages import Completed
from bridge.runs import Order, result_columns
from storage.db import Database
from storage.jobs import fail_job, get_job, launch_job, record_progress, succeed_job, update_job
from storage.models import Job, JobStatus

_log = logging.getLogger(__name__)


class Journal:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._listeners: list[JobListener] = []
        # The SUBMITTED writes that run beside their send, by job, until the job is released.
        self._beside: dict[int, asyncio.Task[bool]] = {}
        self._unlanded: set[asyncio.Task[bool]] = set()  # those still writing, released or not

    # -- events --------------------------------------------------------------------------

    def subscribe(self, listener: JobListener) -> None:
        """Listeners must return quickly: slow work belongs in their own tasks."""
        self._listeners.append(listener)

    async def emit(self, event: JobEvent) -> None:
        for listener in self._listeners:
            try:
                await listener(event)
            except Exception:
                _log.exception("job listener failed", extra={"event": type(event).__name__})

    # -- the launch ----------------------------------------------------------------------

    def store_beside(self, job_id: int, changes: dict[str, object]) -> None:
        """Write SUBMITTED beside the send, for a job no other process can have claimed."""
        write = asyncio.create_task(self._store_launch(job_id, changes))
        self._beside[job_id] = write
        self._unlanded.add(write)
        write.add_done_callback(self._unlanded.discard)

    async def _store_launch(self, job_id: int, changes: dict[str, object]) -> bool:
        # Made just before the send, this task would run first. On Python 3.11 aiohttp writes
        # a request's body in a task of its own: let that go out before this transaction starts.
        await asyncio.sleep(0)
        async with self.db.transaction() as session:
            return await launch_job(
                session=session, job_id=job_id, from_status=JobStatus.QUEUED, **changes
            )

    async def store_launch(
        self, job_id: int, order: Order | None, nonce: str, account: Account
    ) -> Order | None:
        """Stored before sending, guarded by its status: a job another process may have
        taken (or one queued before a restart, read here) is sent by one process only.
        Returns what to send, or None when the job is not this process's to send."""
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

    async def launched(self, job_id: int) -> None:
        """Wait for the job's SUBMITTED write if it ran beside the send (shielded: it must land
        even when a waiter is cancelled)."""
        write = self._beside.get(job_id)
        if write is None:
            return
        if not await asyncio.shield(write):
            # Only a row changed behind this process's back (its lease was held) gets here.
            _log.error("a job sent here was no longer queued", extra={"job_id": job_id})

    def forget(self, job_id: int) -> None:
        """The job's run has ended: no write of it waits any more."""
        self._beside.pop(job_id, None)

    async def drain(self) -> None:
        """Let the SUBMITTED writes of jobs already sent land, or a restart would send them
        again."""
        await asyncio.gather(*self._unlanded, return_exceptions=True)

    # -- the run -------------------------------------------------------------------------

    async def read(self, job_id: int) -> Job | None:
        async with self.db.transaction() as session:
            return await get_job(session=session, job_id=job_id)

    async def update(self, job_id: int, **changes: object) -> Job:
        async with self.db.transaction() as session:
            return await update_job(session=session, job_id=job_id, **changes)

    async def progress(
        self, job_id: int, percent: int | None, message_id: str, interaction_id: str | None
    ) -> None:
        """RUNNING, with the ids that match Midjourney's later messages after a restart."""
        await self.launched(job_id)
        async with self.db.transaction() as session:
            await record_progress(
                session=session,
                job_id=job_id,
                progress=percent,
                progress_message_id=message_id,
                interaction_id=interaction_id,
            )

    async def send_mask(self, backend: Backend, job_id: int, custom_id: str) -> None:
        """Vary (Region): the job's painted mask to the editor Midjourney opened."""
        await send_mask(db=self.db, backend=backend, job_id=job_id, custom_id=custom_id)

    # -- outcomes ------------------------------------------------------------------------

    async def succeed(self, job_id: int, result: Completed) -> bool:
        """Record the result and charge; False if another job (of another process) has that
        message."""
        await self.launched(job_id)
        try:
            async with self.db.transaction() as session:
                await succeed_job(session=session, job_id=job_id, **result_columns(result))
        except IntegrityError:
            _log.warning(
                "result already taken by another job",
                extra={"job_id": job_id, "message_id": result.ref.message_id},
            )
            return False
        await self.emit(JobSucceeded(job_id))
        return True

    async def fail(self, job_id: int, reason: str, detail: str) -> None:
        """Record the failure and refund, unless the job has finished already."""
        await self.launched(job_id)
        async with self.db.transaction() as session:
            if not await fail_job(session=session, job_id=job_id, kind=str(reason), detail=detail):
                return
        _log.info("job failed", extra={"job_id": job_id, "reason": str(reason)})
        await self.emit(JobFailed(job_id, str(reason), detail))

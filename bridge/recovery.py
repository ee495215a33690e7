"""Restart recovery and leases, the parts that are plain logic: how jobs claimed from the
database are picked up, how long the leases are sure, and what the channel's history says.

A process owns the jobs it creates through a lease it renews (storage/leases.py). At start it
claims its own unfinished jobs; later it takes over those of a process that stopped renewing.
Queued ones wait again; sent ones are followed up on their account, after the channel's latest
messages are read for what Midjourney posted meanwhile; a job whose pictures were being
uploaded, or whose account left the pool, cannot go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.events import JobEvent, JobFailed, JobSucceeded
from bridge.health import AccountPool
from bridge.messages import MjEvent
from bridge.parser import parse
from storage.models import Job, JobStatus

HISTORY = 100  # channel messages read at start; enough for an outage of a few minutes


@dataclass
class Claimed:
    """Unfinished jobs claimed from the database, sorted by what becomes of them."""

    queued: list[Job] = field(default_factory=list)  # wait here again
    in_flight: dict[str, list[Job]] = field(default_factory=dict)  # by account: follow up
    interrupted: list[int] = field(default_factory=list)  # pictures never reached Discord
    gone: list[int] = field(default_factory=list)  # their account left the pool


def sort_claimed(jobs: Iterable[Job], pool: AccountPool) -> Claimed:
    claimed = Claimed()
    for job in jobs:
        assert job.id is not None
        if job.status.finished:
            continue  # the delivery's, not a slot's
        if job.status is JobStatus.PREPARING:
            claimed.interrupted.append(job.id)
        elif job.status is JobStatus.QUEUED:
            claimed.queued.append(job)
        else:
            # Rows from before the pool name no account: they ran on the first one.
            name = job.account or pool.first.name
            if name in pool:
                claimed.in_flight.setdefault(name, []).append(job)
            else:
                claimed.gone.append(job.id)
    return claimed


def outcomes_of(jobs: Iterable[Job]) -> list[JobEvent]:
    """Taken over from a stopped process: the finished jobs it never delivered, announced so
    that this process delivers them."""
    events: list[JobEvent] = []
    for job in jobs:
        assert job.id is not None
        if job.status is JobStatus.SUCCEEDED:
            events.append(JobSucceeded(job.id))
        elif job.status is JobStatus.FAILED:
            events.append(JobFailed(job.id, job.error_kind or "", job.error or ""))
    return events


def history_events(messages: Sequence[Mapping[str, Any]]) -> list[MjEvent | None]:
    """The channel's history (newest first, as Discord lists it) parsed, oldest first."""
    return [parse("MESSAGE_CREATE", dict(message)) for message in reversed(messages)]


class LeaseClock:
    """Until when no other process can have claimed our jobs: half a lease after the last
    renewal. Until then a job queued here is sent without waiting for its SUBMITTED write."""

    def __init__(self, lease_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.lease_s = lease_s
        self._clock = clock
        self._sure_until = 0.0

    @property
    def renew_every(self) -> float:
        return self.lease_s / 3

    def now(self) -> float:
        return self._clock()

    def renewed(self, at: float) -> None:
        """The leases were renewed (or claimed) by a transaction that started at `at`."""
        self._sure_until = at + self.lease_s / 2

    @property
    def sure(self) -> bool:
        return self._clock() < self._sure_until

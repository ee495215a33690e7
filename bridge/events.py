"""What the bridge tells its subscriber (the Telegram side) about a job.

Events carry the job id; the subscriber reads the job row for everything else, so an event
that is replayed after a restart means the same thing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum


class Failure(StrEnum):
    """Why a job failed when Midjourney itself gave no reason (else an ErrorKind value)."""

    TIMEOUT = "timeout"
    DISCORD_REJECTED = "discord_rejected"
    REFUSED = "refused"  # INTERACTION_FAILURE: Midjourney did not take the interaction
    LOST = "lost"  # cannot be recovered after a restart
    INPAINT_REFUSED = "inpaint_refused"  # Midjourney's editor did not take the mask
    CANCELLED = "cancelled"  # the requester (or a group admin) cancelled it
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class JobQueued:
    job_id: int
    position: int  # 1 = next to start


@dataclass(frozen=True, slots=True)
class JobStarted:
    job_id: int


@dataclass(frozen=True, slots=True)
class JobProgress:
    job_id: int
    percent: int | None
    # Midjourney's progress message offers Cancel Job: Dispatcher.cancel can stop it there.
    cancellable: bool = False
    # CDN links of the pictures Midjourney drew so far (bridge/messages.py Progress.previews),
    # fetched through Dispatcher.fetch; none when the message carries none.
    previews: tuple[str, ...] = ()


class CancelOutcome(StrEnum):
    """What Dispatcher.cancel did."""

    CANCELLED = "cancelled"  # dropped from the queue, or Midjourney was told; refunded
    FINISHED = "finished"  # too late: it has an outcome (a result is delivered as usual)
    NOT_NOW = "not_now"  # running, but Midjourney offers no Cancel Job for it (yet)


@dataclass(frozen=True, slots=True)
class JobAsks:
    """Midjourney opened a form only the user can fill in (the motion prompt of an Animate or
    Extend under remix); the job waits for `Dispatcher.answer`."""

    job_id: int


@dataclass(frozen=True, slots=True)
class JobSucceeded:
    job_id: int


@dataclass(frozen=True, slots=True)
class JobFailed:
    job_id: int
    reason: str  # an ErrorKind or Failure value
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ResultDeleted:
    """Midjourney deleted a message that may be a result: its buttons cannot work any more."""

    message_id: str


@dataclass(frozen=True, slots=True)
class AccountPaused:
    """Midjourney needs a person to act on an account; it gets no job until /resume."""

    reason: str
    held: tuple[int, ...]  # jobs that were waiting and now wait for the resume
    account: str  # the account's name in the pool ("main" with one account)


@dataclass(frozen=True, slots=True)
class AccountResumed:
    released: tuple[int, ...]


JobEvent = (
    JobQueued
    | JobStarted
    | JobProgress
    | JobAsks
    | JobSucceeded
    | JobFailed
    | ResultDeleted
    | AccountPaused
    | AccountResumed
)
JobListener = Callable[[JobEvent], Awaitable[None]]

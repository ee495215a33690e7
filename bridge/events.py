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
    | AccountPaused
    | AccountResumed
)
JobListener = Callable[[JobEvent], Awaitable[None]]

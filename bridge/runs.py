"""A job's run at Midjourney as the dispatcher holds it: what sending it takes (`Order`), what
is known of it while it holds a slot (`Run`), the runs in hand (`Runs`), and the columns its
result fills."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import UTC

from bridge.accounts import Account
from bridge.buttons import MOTION_FORM
from bridge.correlation import Correlator, Track
from bridge.events import Failure
from bridge.interactions import Interaction, Upload
from bridge.messages import (
    Button,
    Completed,
    Failed,
    IframeOpened,
    MessageRef,
    ModalOpened,
    Progress,
    Started,
)
from bridge.slots import Slot
from storage.models import Job, JobKind, JobStatus

CANCEL_JOB = "MJ::CancelJob::"  # Midjourney's Cancel Job button on a progress message
_BUTTON_FIELDS = tuple(f.name for f in fields(Button))


def _button_json(button: Button) -> dict[str, object]:
    # dataclasses.asdict deep-copies every field of these flat records of strings and ints:
    # 3 % of the dispatcher's work per job on a busy gateway (bench.micro gateway).
    return {name: getattr(button, name) for name in _BUTTON_FIELDS}


# Forms whose words only the user can give (docs/midjourney-on-the-wire.md#forms-modals): the
# job waits for them.
USER_FORMS = (f"{MOTION_FORM}::",)


def _command(kind: JobKind, custom_id: str | None) -> str | None:
    """The slash command a job sends; None when it presses a button. A video is a button
    (Animate, Extend) or an /imagine whose prompt has --video."""
    if kind is JobKind.ACTION or custom_id:
        return None
    return JobKind.IMAGINE.value if kind is JobKind.VIDEO else kind.value


@dataclass(frozen=True, slots=True)
class Order:
    """What sending a job takes, kept from its submission so that a slot need not read it."""

    kind: JobKind
    prompt: str
    images: tuple[Upload, ...]
    target_message_id: str | None
    custom_id: str | None
    target_flags: int

    @classmethod
    def of(cls, job: Job) -> Order:
        return cls(
            kind=job.kind,
            prompt=job.prompt,
            images=tuple(Upload(**image) for image in job.images),
            target_message_id=job.target_message_id,
            custom_id=job.custom_id,
            target_flags=job.target_flags,
        )

    def on(self, account: Account) -> Order:
        """As sent on `account`: an imagine gets the account's speed unless it names one."""
        if self.kind is not JobKind.IMAGINE:
            return self
        return replace(self, prompt=account.with_mode(self.prompt))

    def launch_changes(self, nonce: str, account: Account) -> dict[str, object]:
        """What the job's row must say once it is sent (a restart then looks for it)."""
        prompt = {"prompt": self.prompt} if self.kind is JobKind.IMAGINE else {}
        return {"nonce": nonce, "account": account.name, **prompt}

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
class Run:
    """A job holding a slot."""

    job_id: int
    kind: JobKind
    account: Account
    track: Track  # what correlation knows of it
    outcome: Completed | Failed | Failure | None = None
    modal: ModalOpened | None = None  # a form Midjourney opened, for the slot task to submit
    iframe: IframeOpened | None = None  # Vary (Region)'s editor, for the slot task to feed
    iframe_seen: bool = False
    asking: ModalOpened | None = None  # a form that waits for the user's words (answer())
    resend: bool = False  # adopted after a restart with no trace at Midjourney
    # Midjourney's Cancel Job button, as its latest progress message offers it:
    # (message id, custom_id, message flags).
    cancel: tuple[str, str, int] | None = None
    cancelling: bool = False  # Cancel Job pressed: Midjourney's "(Stopped)" is ours
    # (progress message id, interaction id) last written with RUNNING: what a restart needs.
    stored: tuple[str, str | None] | None = None
    slot: Slot | None = None  # set once its task holds one
    news: asyncio.Event = field(default_factory=asyncio.Event)

    def settle(self, outcome: Completed | Failed | Failure) -> None:
        """The run has its outcome: correlation stops matching messages to it, and its slot
        task wakes up to record it."""
        self.outcome = outcome
        self.track.open = False
        self.news.set()


class Runs:
    """The jobs holding a slot (or adopted, waiting for one), each tracked by correlation
    from before its send until its release."""

    def __init__(self, correlator: Correlator) -> None:
        self.correlator = correlator
        self._running: dict[int, Run] = {}

    def __len__(self) -> int:
        return len(self._running)

    def __iter__(self) -> Iterator[Run]:
        return iter(self._running.values())

    def get(self, job_id: int) -> Run | None:
        return self._running.get(job_id)

    def open(self, job_id: int) -> Run | None:
        """The run, while it has no outcome yet."""
        run = self._running.get(job_id)
        return run if run is not None and run.outcome is None else None

    def track(self, job_id: int, order: Order, nonce: str | None, account: Account) -> Run:
        """A job about to be sent on `account` (before the send: Midjourney's first reply can
        beat the HTTP response)."""
        track = self.correlator.track(
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

    def adopt(self, job: Job, account: Account) -> Run:
        """A job sent before a restart (or by a stopped process), with what its row knows."""
        assert job.id is not None
        run = self.track(job.id, Order.of(job), job.nonce, account)
        # SQLite hands datetimes back without their zone; they are UTC.
        run.track.since = job.created_at.replace(tzinfo=job.created_at.tzinfo or UTC)
        if job.status is JobStatus.RUNNING and job.progress_message_id:
            run.stored = (job.progress_message_id, job.interaction_id)
        known = MessageRef(job.progress_message_id or "", "", interaction_id=job.interaction_id)
        self.correlator.bind(run.track, known)
        return run

    def release(self, job_id: int) -> None:
        """Forget a run that ended; correlation remembers its messages as nobody's."""
        run = self._running.pop(job_id, None)
        if run is None:
            return
        result_id = run.outcome.ref.message_id if isinstance(run.outcome, Completed) else None
        self.correlator.release(job_id, result_id)


def result_columns(result: Completed) -> dict[str, object]:
    """What a job's row records of its result."""
    image = result.image
    return {
        "result_message_id": result.ref.message_id,
        "result_flags": result.ref.flags,
        "result_hash": result.job_hash,
        "result_url": image.url if image else None,
        "result_filename": image.filename if image else None,
        "result_kind": result.kind.value,
        "buttons": [_button_json(button) for button in result.buttons],
        "texts": list(result.texts),
    }


def cancel_of(event: Started | Progress) -> tuple[str, str, int] | None:
    """Midjourney's Cancel Job on this progress message, as the press needs it."""
    for button in event.buttons:
        if button.custom_id.startswith(CANCEL_JOB):
            return (event.ref.message_id, button.custom_id, event.ref.flags)
    return None

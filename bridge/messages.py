"""What the parser makes of one Midjourney message: small frozen values, no I/O.

The dispatcher matches these to jobs; nothing here knows about jobs or chats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ResultKind(StrEnum):
    """What a finished Midjourney message holds, read from its content."""

    GRID = "grid"  # imagine, reroll, variations, pan, zoom, blend: a 2x2 grid
    UPSCALE = "upscale"  # "Image #N": a single tile
    UPSCALE_HD = "upscale_hd"  # Upscaled (Subtle|Creative|2x|4x), or "Upscaled by" (V7)
    # A video: a 2x2 animated WebP whose U1-U4 are video upscales, or one video's mp4.
    VIDEO = "video"
    DESCRIBE = "describe"
    SHORTEN = "shorten"
    INFO = "info"  # /info: the account's "**Key**: value" lines, as "Key: value" texts
    NOTICE = "notice"  # a plain confirmation: "Done! ..." (/fast, /relax), "Remix mode turned on"


class ErrorKind(StrEnum):
    """Midjourney's failure reasons, mapped from embed titles (see
    docs/midjourney-on-the-wire.md#failures-and-warnings)."""

    BANNED_PROMPT = "banned_prompt"
    INVALID_PARAMETER = "invalid_parameter"
    INVALID_LINK = "invalid_link"
    OUTPUT_FILTERED = "output_filtered"
    QUEUE_FULL = "queue_full"
    CREDITS_EXHAUSTED = "credits_exhausted"
    SUBSCRIPTION = "subscription"
    BLOCKED = "blocked"
    PENDING_MODERATION = "pending_moderation"
    ACTION_NEEDED = "action_needed"
    VERIFY_HUMAN = "verify_human"
    DUPLICATE_IMAGES = "duplicate_images"
    JOB_FAILED = "job_failed"
    STOPPED = "stopped"
    UNKNOWN = "unknown"

    @property
    def needs_account_action(self) -> bool:
        """True when no further job can succeed until a person acts on the account."""
        return self in _ACCOUNT_KINDS


_ACCOUNT_KINDS = frozenset(
    {
        ErrorKind.CREDITS_EXHAUSTED,
        ErrorKind.SUBSCRIPTION,
        ErrorKind.BLOCKED,
        ErrorKind.PENDING_MODERATION,
        ErrorKind.ACTION_NEEDED,
        ErrorKind.VERIFY_HUMAN,
    }
)


@dataclass(frozen=True, slots=True)
class MessageRef:
    """The identity fields of a Discord message that let the dispatcher find its job."""

    message_id: str
    channel_id: str
    nonce: str | None = None
    # interaction_metadata.id (newer payloads) or interaction.id (older ones).
    interaction_id: str | None = None
    # message_reference.message_id: the message this one answers (e.g. the grid of a U click).
    reference_id: str | None = None
    flags: int = 0


@dataclass(frozen=True, slots=True)
class Button:
    """One component button of a Midjourney message."""

    custom_id: str
    label: str = ""
    emoji: str = ""
    style: int = 2
    row: int = 0


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    filename: str
    width: int | None = None
    height: int | None = None
    size: int | None = None
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class Started:
    """The job was accepted ("Waiting to start"), or Midjourney queued it on its side."""

    ref: MessageRef
    prompt: str
    queued: bool = False
    buttons: tuple[Button, ...] = ()  # Cancel Job, on Midjourney's messages since 2025


@dataclass(frozen=True, slots=True)
class Progress:
    ref: MessageRef
    prompt: str
    percent: int | None
    # What Midjourney has drawn so far: one `<uuid>_grid_0.webp`, or a video's four
    # `<uuid>_<cell>_step_<k>.jpeg` cells in order; none before about 35 %.
    previews: tuple[Image, ...] = ()
    buttons: tuple[Button, ...] = ()  # Cancel Job (MJ::CancelJob::ByJobid::<uuid>)


@dataclass(frozen=True, slots=True)
class Completed:
    ref: MessageRef
    prompt: str
    kind: ResultKind
    image: Image | None
    job_hash: str | None
    buttons: tuple[Button, ...] = ()
    index: int | None = None  # N of "Image #N" for upscales
    # describe: the four suggested prompts; shorten: the suggested prompts; info: its lines;
    # notice: Midjourney's words.
    texts: tuple[str, ...] = ()
    mode: str | None = None  # fast | relaxed | turbo


@dataclass(frozen=True, slots=True)
class Failed:
    ref: MessageRef
    kind: ErrorKind
    title: str
    reason: str
    prompt: str | None = None
    buttons: tuple[Button, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Deleted:
    message_id: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class InteractionAck:
    """Discord's verdict on our interaction, seen only on the user account's gateway."""

    nonce: str
    interaction_id: str
    accepted: bool  # INTERACTION_SUCCESS (True) or INTERACTION_FAILURE (False)


@dataclass(frozen=True, slots=True)
class ModalOpened:
    """Midjourney answered a button with a form (custom zoom, remix) that must be submitted."""

    nonce: str
    interaction_id: str
    custom_id: str
    field_ids: tuple[str, ...]  # the text inputs, in order


@dataclass(frozen=True, slots=True)
class IframeOpened:
    """Midjourney answered Vary (Region) with its editor (a Discord Activity): `custom_id` is
    `MJ::iframe::<token>`, which the mask is submitted with (bridge/inpaint.py)."""

    nonce: str | None
    interaction_id: str | None
    custom_id: str


MjEvent = (
    Started | Progress | Completed | Failed | Deleted | InteractionAck | ModalOpened | IframeOpened
)

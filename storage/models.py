"""Tables. Repository functions live next door, one module per table family."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Enum, LargeBinary
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)  # type: ignore[call-overload]


def _bigint(**kwargs: Any) -> Any:
    # Telegram ids exceed 32 bits; SQLite does not care, Postgres does.
    return Field(sa_type=BigInteger, **kwargs)  # type: ignore[call-overload]


class JobStatus(StrEnum):
    PREPARING = "preparing"  # its pictures are being copied from Telegram to Discord
    QUEUED = "queued"  # waiting for a Midjourney slot
    SUBMITTED = "submitted"  # the interaction was sent; nothing heard back yet
    RUNNING = "running"  # Midjourney acknowledged it
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)  # for queries: status IN / NOT IN these


class JobKind(StrEnum):
    IMAGINE = "imagine"
    ACTION = "action"  # a button of an earlier result (U/V/reroll/vary/zoom/pan/upscale)
    DESCRIBE = "describe"
    BLEND = "blend"
    SHORTEN = "shorten"  # Midjourney's /shorten: shorter prompt suggestions, as text
    # Animate, Extend, a video grid's reroll, or a prompt video: billed at about 8 images.
    VIDEO = "video"
    # Account operations for operators; they draw nothing, so they cost no quota.
    INFO = "info"
    FAST = "fast"
    RELAX = "relax"


KIND_LENGTH = 32  # the job kind column's VARCHAR length (migrations/versions/0009_*.py)


# A Telegram chat that has used the bot.
class Chat(SQLModel, table=True):
    id: int = _bigint(primary_key=True)
    type: str = "private"
    title: str | None = None
    allowed: bool | None = None  # None: follow ALLOWED_CHAT_IDS
    daily_quota: int | None = None  # None: CHAT_DAILY_QUOTA
    language: str | None = None  # chosen in /settings; None: each user's Telegram language
    created_at: datetime = _ts(default_factory=utcnow)


# One Midjourney job: an /imagine, a button action, a describe or a blend.
class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = _bigint(index=True)
    user_id: int | None = _bigint(default=None)
    requested_by: str | None = None  # the asker's name, for results in groups
    language: str = "en"
    # Stored by member name in a plain VARCHAR, not a native ENUM: a new kind needs no migration.
    kind: JobKind = Field(
        default=JobKind.IMAGINE, sa_type=Enum(JobKind, native_enum=False, length=KIND_LENGTH)
    )
    prompt: str = ""
    label: str | None = None  # what the user tapped, e.g. "U2"
    custom_id: str | None = None  # Midjourney button for ACTION jobs
    parent_job_id: int | None = Field(default=None, foreign_key="job.id")
    target_message_id: str | None = None  # the Discord message carrying that button
    target_flags: int = 0
    # What to type into the form Midjourney may open for this button (custom zoom, remix);
    # None: the job's prompt.
    modal_text: str | None = None
    # describe/blend: the uploaded pictures, as {"filename", "uploaded_filename"} dicts
    images: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON))
    cost: int = 1
    # The pool account that runs it (named in DISCORD_ACCOUNTS); a button's job must run on
    # the account that owns the Discord message, so actions inherit it. None: any account.
    account: str | None = None
    # The bot process (INSTANCE_NAME) that runs and delivers it, while its lease lasts; when
    # that process dies, another one claims the job once the lease has run out.
    owner: str | None = Field(default=None, index=True)
    lease_until: datetime | None = _ts(default=None)

    # Telegram side
    request_message_id: int | None = None  # replied to by the result
    status_message_id: int | None = None  # "queued…/42%" message, removed on delivery
    # The message that shows the result (with its buttons): what a Mini App's job answers.
    delivered_message_id: int | None = None

    # Midjourney side
    status: JobStatus = Field(default=JobStatus.QUEUED, index=True)
    progress: int | None = None
    nonce: str | None = Field(default=None, index=True)
    progress_message_id: str | None = None
    interaction_id: str | None = None
    # Unique: one Midjourney message is one job's result, even if two processes guess.
    result_message_id: str | None = Field(default=None, index=True, unique=True)
    result_flags: int = 0
    result_hash: str | None = None
    result_url: str | None = None
    result_filename: str | None = None
    result_kind: str | None = None
    buttons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    texts: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    error_kind: str | None = None
    error: str | None = None

    created_at: datetime = _ts(default_factory=utcnow)
    updated_at: datetime = _ts(default_factory=utcnow)
    finished_at: datetime | None = _ts(default=None)
    delivered_at: datetime | None = _ts(default=None)  # result or failure told to the chat


# An inline-keyboard button: Telegram's callback_data is this short token.
class ButtonToken(SQLModel, table=True):
    token: str = Field(primary_key=True, max_length=16)
    chat_id: int = _bigint(index=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    action: str  # "mj" (press a Midjourney button), "original" (send the file), ...
    custom_id: str | None = None
    label: str = ""
    text: str | None = None  # "imagine" buttons: the prompt to run
    created_at: datetime = _ts(default_factory=utcnow)
    used_at: datetime | None = _ts(default=None)


# The mask painted for a Vary (Region) job (a PNG, white where Midjourney redraws), kept until
# the job is sent: a restart in between still has it.
class JobMask(SQLModel, table=True):
    job_id: int = Field(foreign_key="job.id", primary_key=True)
    png: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _ts(default_factory=utcnow)


# A question the bot asked with ForceReply (e.g. the custom zoom factor), awaiting the answer.
class PendingReply(SQLModel, table=True):
    chat_id: int = _bigint(primary_key=True)
    message_id: int = Field(primary_key=True)  # the bot's question
    job_id: int = Field(foreign_key="job.id")
    custom_id: str
    label: str = ""
    created_at: datetime = _ts(default_factory=utcnow)


class QuotaState(StrEnum):
    RESERVED = "reserved"
    CHARGED = "charged"
    REFUNDED = "refunded"


# One quota unit movement per job: reserved on submit, then charged or refunded exactly once.
class QuotaEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", unique=True)
    chat_id: int = _bigint(index=True)
    user_id: int | None = _bigint(default=None, index=True)
    day: str = Field(index=True)  # YYYY-MM-DD in the quota time zone
    units: int = 1
    state: QuotaState = QuotaState.RESERVED
    created_at: datetime = _ts(default_factory=utcnow)
    settled_at: datetime | None = _ts(default=None)


# A chat's default Midjourney parameters, picked in /settings and appended to prompts that do not
# set them. None (or False for raw) means "leave it to Midjourney".
class ChatSettings(SQLModel, table=True):
    chat_id: int = _bigint(primary_key=True)
    version: str | None = None  # "6.1", "7" or "niji 6"
    aspect: str | None = None  # "16:9", ...
    stylize: int | None = None
    speed: str | None = None  # "fast", "relax" or "turbo"
    raw: bool = False  # --style raw
    updated_by: int | None = _bigint(default=None)
    updated_at: datetime = _ts(default_factory=utcnow)

"""Midjourney messages told apart by their first embed: failures and warnings, `Job queued`,
/describe, /shorten and /info (docs/midjourney-on-the-wire.md#failures-and-warnings and
#describe-shorten-and-account-replies). Pure, like bridge/parser.py, which hands every message
with an embed here first and reads its content when this says nothing.

Our own choices where the doc says nothing:

- `Job queued` is recognised by its title alone, whatever its colour. Any other yellow
  (0xFFFF00) embed is a warning that does not end the job: it is never read as a result, and
  the message gives None unless its content carries job news of its own.
- Error titles are matched case-insensitively and without trailing `!`/`.`, so `Queue full!`
  counts as `Queue full`. `Sorry! Could not complete the job!` is accepted both as an embed
  title and as message content (the doc does not say which it is).
- /info (#describe-shorten-and-account-replies) is an embed whose title starts with `Your
  info`; its `**Key**: value` lines become `Completed(kind=INFO)` texts "Key: value", in
  Midjourney's order, markdown dropped. Lines of another shape are left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from bridge.constants import COLOUR_ERROR, COLOUR_WARNING
from bridge.message_parts import (
    RawMessage,
    buttons,
    content_prompt,
    image_of,
    message_ref,
    normalise_title,
    text_result,
)
from bridge.messages import Completed, ErrorKind, Failed, MjEvent, ResultKind, Started

# --- Embed patterns (docs/midjourney-on-the-wire.md#failures-and-warnings) -------------------

# A keycap digit: the digit, an optional variation selector 16, the combining keycap.
_KEYCAP_PREFIX: Final = re.compile(r"^\s*[0-9#*]\ufe0f?\u20e3\s*")
_KEYCAP_LINE: Final = re.compile(r"^\s*[0-9]\ufe0f?\u20e3\s*(.+?)\s*$", re.MULTILINE)
_BLANK_LINE: Final = re.compile(r"\n[ \t]*\n")
_VERIFY_HUMAN: Final = re.compile(r"verify\s+you(?:['\u2019]re|\s+are)\s+human", re.IGNORECASE)

_JOB_QUEUED: Final = "job queued"
_INFO_TITLE: Final = "your info"
_INFO_LINE: Final = re.compile(r"^\s*\*\*(.+?)\*\*\s*:\s*(.*?)\s*$", re.MULTILINE)

# Titles compared after normalise_title (case-folded, trailing "!"/"." dropped).
_ERROR_TITLES: Final[Mapping[str, ErrorKind]] = {
    "banned prompt detected": ErrorKind.BANNED_PROMPT,
    "banned prompt": ErrorKind.BANNED_PROMPT,
    "request cancelled due to output filters": ErrorKind.OUTPUT_FILTERED,
    "queue full": ErrorKind.QUEUE_FULL,
    "credits exhausted": ErrorKind.CREDITS_EXHAUSTED,
    "subscription required": ErrorKind.SUBSCRIPTION,
    "plan cancelled": ErrorKind.SUBSCRIPTION,
    "subscription paused": ErrorKind.SUBSCRIPTION,
    "blocked": ErrorKind.BLOCKED,
    "pending mod message": ErrorKind.PENDING_MODERATION,
    "action needed to continue": ErrorKind.ACTION_NEEDED,
    "tos not accepted": ErrorKind.ACTION_NEEDED,
    "duplicate images detected": ErrorKind.DUPLICATE_IMAGES,
    "sorry! could not complete the job": ErrorKind.JOB_FAILED,
}


def parse_embed(data: RawMessage, embed: Mapping[str, Any], content: str) -> MjEvent | None:
    """What a message's first embed says about a job, or None when it says nothing (a warning,
    a link preview): the message's content may still."""
    title = (embed.get("title") or "").strip()
    normalised = normalise_title(title)
    if normalised == _JOB_QUEUED:
        return _parse_job_queued(data, content)
    error = _error_kind(embed, normalised)
    if error is not None:
        return _parse_error_embed(data, embed, title, error, content)
    # Any other yellow embed is a warning that does not stop the job: it is never a result.
    if embed.get("color") == COLOUR_WARNING:
        return None
    if normalised.startswith(_INFO_TITLE):
        return _parse_info(data, embed)
    image = embed.get("image")
    if image and image.get("url"):
        return _parse_describe(data, embed, image)
    shortened = _KEYCAP_LINE.findall(embed.get("description") or "")
    if shortened:
        return _parse_shorten(data, tuple(shortened))
    return None


def _parse_job_queued(data: RawMessage, content: str) -> Started:
    """`Job queued`: over the concurrency limit; Midjourney will start the job later."""
    return Started(ref=message_ref(data), prompt=content_prompt(content) or "", queued=True)


def _parse_error_embed(
    data: RawMessage, embed: Mapping[str, Any], title: str, kind: ErrorKind, content: str
) -> Failed:
    """A red or known-title embed: the job failed, or the account needs a person's attention."""
    return Failed(
        ref=message_ref(data),
        kind=kind,
        title=title,
        reason=(embed.get("description") or "").strip(),
        prompt=content_prompt(content),
        # Acknowledge / appeal / Accept ToS buttons live here (#failures-and-warnings).
        buttons=buttons(data.get("components") or ()),
    )


def _parse_describe(
    data: RawMessage, embed: Mapping[str, Any], image: Mapping[str, Any]
) -> Started | Completed:
    """/describe: the embed shows the image at once and gets its four prompts by UPDATE."""
    description = (embed.get("description") or "").strip()
    ref = message_ref(data)
    if not description:
        return Started(ref=ref, prompt="")
    texts = tuple(
        _KEYCAP_PREFIX.sub("", paragraph).strip()
        for paragraph in _BLANK_LINE.split(description)
        if paragraph.strip()
    )
    return Completed(
        ref=ref,
        prompt="",
        kind=ResultKind.DESCRIBE,
        image=image_of(image),
        # The described picture is the user's own upload, not a Midjourney job.
        job_hash=None,
        buttons=buttons(data.get("components") or ()),
        texts=texts,
    )


def _parse_shorten(data: RawMessage, texts: tuple[str, ...]) -> Completed:
    """/shorten: the suggested prompts are the embed lines that start with a keycap digit."""
    return text_result(data, ResultKind.SHORTEN, texts)


def _parse_info(data: RawMessage, embed: Mapping[str, Any]) -> Completed:
    """/info: "Your info - <user>" with `**Key**: value` lines."""
    lines = _INFO_LINE.findall(embed.get("description") or "")
    return text_result(data, ResultKind.INFO, tuple(f"{key}: {value}" for key, value in lines))


def _error_kind(embed: Mapping[str, Any], title: str) -> ErrorKind | None:
    """The failure an embed reports, or None when it reports none.

    `title` must already be normalised. A human check is told apart from a plain "Action needed
    to continue" by its description, so that test comes first.
    """
    if "continue" in title and _VERIFY_HUMAN.search(embed.get("description") or ""):
        return ErrorKind.VERIFY_HUMAN
    kind = _ERROR_TITLES.get(title)
    if kind is not None:
        return kind
    if "invalid link" in title:
        return ErrorKind.INVALID_LINK
    if "invalid" in title:
        return ErrorKind.INVALID_PARAMETER
    if embed.get("color") == COLOUR_ERROR:
        return ErrorKind.UNKNOWN
    return None

"""The pieces of a raw Discord message that every Midjourney message kind shares: its identity
fields, its buttons, its attachments and the job hash they carry. Pure, like bridge/parser.py,
which reads each message kind from them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from bridge.messages import Button, Completed, Image, MessageRef, ResultKind

# A raw Discord message (or delete notice) exactly as the gateway decoded it.
RawMessage = Mapping[str, Any]

EMPTY: Final[Mapping[str, Any]] = {}

# The prompt is whatever sits between the first `**` pair; `****` is an empty (blend) prompt.
PROMPT: Final = re.compile(r"\*\*(.*?)\*\*", re.DOTALL)

# --- Hash patterns (docs/midjourney-on-the-wire.md#job-hash-and-correlation) -----------------

UUID: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)
_GRID_PREVIEW_SUFFIX: Final = "_grid_0.webp"

_IMAGE_EXTENSIONS: Final = (".png", ".webp", ".jpg", ".jpeg", ".gif")
_VIDEO_EXTENSIONS: Final = (".mp4", ".webm", ".mov")


def message_ref(data: RawMessage) -> MessageRef:
    """The identity fields the dispatcher uses to find the job a message belongs to."""
    interaction = data.get("interaction_metadata") or data.get("interaction") or EMPTY
    reference = data.get("message_reference") or EMPTY
    nonce = data.get("nonce")
    return MessageRef(
        message_id=data.get("id") or "",
        channel_id=data.get("channel_id") or "",
        # Discord echoes the nonce in whatever type the client sent; ours are strings.
        nonce=None if nonce is None else str(nonce),
        interaction_id=interaction.get("id"),
        reference_id=reference.get("message_id"),
        flags=data.get("flags") or 0,
    )


def job_hash(url_or_filename: str) -> str | None:
    """The Midjourney job id in an attachment URL or file name, or None.

    Handles `<user>_<prompt>_<uuid>.png`, `<hash>_grid_0.webp`, cdn.midjourney.com's
    `/<uuid>/0_0.png` and any other URL that holds a UUID. Discord's signed query string
    (`?ex=..&is=..&hm=..`) is ignored.
    """
    path = url_or_filename.partition("?")[0].partition("#")[0]
    match = UUID.search(path)
    if match is not None:
        return match.group(0)
    filename = path.rpartition("/")[2]
    if filename.endswith(_GRID_PREVIEW_SUFFIX):
        # A bare `grid_0.webp` preview (no underscore-joined prefix) names no job.
        return filename[: -len(_GRID_PREVIEW_SUFFIX)] or None
    return None


def buttons(components: Sequence[Mapping[str, Any]]) -> tuple[Button, ...]:
    """All clickable buttons of a message, flattened from its action rows in display order.

    Link buttons carry a URL and no custom_id, so nothing can be sent for them and they are
    left out, as are select menus.
    """
    found: list[Button] = []
    for row_index, row in enumerate(components):
        for component in row.get("components") or ():
            custom_id = component.get("custom_id")
            if component.get("type") != 2 or not custom_id:
                continue
            emoji = component.get("emoji") or EMPTY
            found.append(
                Button(
                    custom_id=custom_id,
                    label=component.get("label") or "",
                    emoji=emoji.get("name") or "",
                    style=component.get("style", 2),
                    row=row_index,
                )
            )
    return tuple(found)


def content_prompt(content: str) -> str | None:
    """The prompt Midjourney echoes between the first `**` pair, or None when there is none."""
    match = PROMPT.search(content)
    return None if match is None else match.group(1)


def normalise_title(title: str) -> str:
    return title.casefold().rstrip("!. ")


def filename_of(url: str) -> str:
    """The last path segment of a URL, without Discord's signed query string."""
    return url.partition("?")[0].rpartition("/")[2]


def image_of(attachment: Mapping[str, Any]) -> Image:
    url: str = attachment.get("url") or ""
    return Image(
        url=url,
        filename=attachment.get("filename") or filename_of(url),
        width=attachment.get("width"),
        height=attachment.get("height"),
        size=attachment.get("size"),
        content_type=attachment.get("content_type"),
    )


def first_result_attachment(
    attachments: Sequence[Mapping[str, Any]] | None,
) -> Mapping[str, Any] | None:
    """The first attachment that is a picture or a video (other files are not results)."""
    for attachment in attachments or ():
        content_type = attachment.get("content_type")
        if content_type is not None:
            if content_type.startswith(("image/", "video/")):
                return attachment
        elif (
            (attachment.get("filename") or "")
            .lower()
            .endswith((*_IMAGE_EXTENSIONS, *_VIDEO_EXTENSIONS))
        ):
            return attachment
    return None


def is_picture(attachment: Mapping[str, Any]) -> bool:
    content_type = attachment.get("content_type")
    if content_type is not None:
        return str(content_type).startswith("image/")
    return (attachment.get("filename") or "").lower().endswith(_IMAGE_EXTENSIONS)


def is_video(attachment: Mapping[str, Any]) -> bool:
    content_type = attachment.get("content_type")
    if content_type is not None:
        return str(content_type).startswith("video/")
    return (attachment.get("filename") or "").lower().endswith(_VIDEO_EXTENSIONS)


def buttons_hash(found: tuple[Button, ...]) -> str | None:
    """The job UUID that Midjourney puts in its buttons' custom_ids (`MJ::JOB::...::<hash>`)."""
    for button in found:
        match = UUID.search(button.custom_id)
        if match is not None:
            return match.group(0)
    return None


def text_result(data: RawMessage, kind: ResultKind, texts: tuple[str, ...]) -> Completed:
    """A result that is words, not a picture: shorten, info and notices."""
    return Completed(
        ref=message_ref(data),
        prompt="",
        kind=kind,
        image=None,
        job_hash=None,
        buttons=buttons(data.get("components") or ()),
        texts=texts,
    )

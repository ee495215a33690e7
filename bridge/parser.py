"""Turn one raw Discord gateway message into what it means for a Midjourney job.

`parse(event, data)` takes a gateway dispatch name and the raw message dict and returns one of
the small values of `bridge.messages` (Started, Progress, Completed, Failed, Deleted), or None
when the message is not from Midjourney or carries no news about a job. The module is pure: no
I/O, no logging, no state. It runs once per gateway message, so every pattern is compiled once
at import and no payload is copied.

The formats are those of docs/midjourney-on-the-wire.md (buttons, message content, create /
update / delete, correlation, failures, pictures).

Behaviour resting on facts that doc marks **inferred**:

- #create-update-delete: the order of a job's final MESSAGE_CREATE and the DELETE of its
  progress message is not guaranteed, so each is reported on its own (`Completed`, `Deleted`)
  and nothing here waits for or assumes the other. DELETE payloads carry no author, so every
  delete is reported; the dispatcher ignores ids it does not know.
- #pictures: grid and upscale sizes are only inferred, so the result kind is read from the content
  text, never from the image's width or height.
- #buttons (Make Square, button removals by newer models): buttons are always read from
  `components`, never built from the job's kind or version.

Our own choices where the doc says nothing (a change in Midjourney's wording would show up
here first):

- A status such as `(paused)` / `(Paused)` after the mention, with no percent, is a job still
  running with an unknown percent: `Progress(percent=None)`.
- A job hash is a UUID anywhere in the URL's path, else the `<hash>` of `<hash>_grid_0.webp`.
  The doc's last resort, "the text after the last `_`", is left out: it turns `grid_0.webp`
  into the junk hash `0`. When the attachment gives no hash, the UUID in the buttons'
  custom_ids is used (#job-hash-and-correlation).
- A message that starts with `Failed` or `Sorry! Could not complete the job!` has no embed
  title or description; its first line becomes `Failed.title` and the rest `Failed.reason`.
- Completed is reported for MESSAGE_UPDATE too (describe and shorten finish by UPDATE). A
  finished grid may be edited again later (e.g. a clicked button changes colour), so the
  dispatcher must treat a repeated Completed for the same message id as a no-op.
- The mode is reported without the `, stealth` suffix: `(relaxed, stealth)` gives "relaxed".
- The video placeholders `Displaying...` / `Animating...` give None even when they carry
  an attachment and buttons; `Creating video with prompt **...** (Waiting to start)` is the
  video job's Started and its `(35%)` edits, with four `_<cell>_step_<k>.jpeg` frames, its
  Progress (all four are its previews, in Midjourney's order).
- A video result is `Completed(kind=VIDEO)`, never a grid: a message whose buttons are
  `MJ::JOB::video_virtual_upscale::N` (an animated WebP of 2x2 videos: tests/data/samples/65),
  or whose attachment is a video file (the mp4 of one video). Told by custom_ids, never labels.
- "You have successfully rated [this job](...)" (the Bookmark button's answer) has no `**`
  prompt: no job news.
- A nonce is reported wherever Midjourney puts it (`MessageRef.nonce`). Since 2025 final
  messages may carry it too (tests/data/samples/56), so it says which interaction a message
  answers, never that the message is the first reply: the status text decides that.
- Content starting with `Done!` (the /fast, /relax, /turbo replies) or `Remix mode turned on/off`
  (/prefer remix) is `Completed(kind=NOTICE)` with the content as its one text: for a job that
  ran those commands it is the result. Nothing else Midjourney writes starts that way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

from bridge.buttons import video_grid
from bridge.constants import MIDJOURNEY_BOT_IDS
from bridge.embeds import parse_embed
from bridge.inpaint import parse_iframe
from bridge.message_parts import (
    EMPTY,
    PROMPT,
    RawMessage,
    buttons,
    buttons_hash,
    content_prompt,
    first_result_attachment,
    image_of,
    is_picture,
    is_video,
    job_hash,
    message_ref,
    text_result,
)
from bridge.messages import (
    Completed,
    Deleted,
    ErrorKind,
    Failed,
    InteractionAck,
    MjEvent,
    ModalOpened,
    Progress,
    ResultKind,
    Started,
)

__all__ = [
    "buttons",
    "content_prompt",
    "job_hash",
    "message_ref",
    "parse",
    "parse_interaction_ack",
    "parse_message",
    "parse_message_delete",
    "parse_modal",
]

# --- Content patterns (docs/midjourney-on-the-wire.md#message-content) -----------------------

_PERCENT: Final = re.compile(r"\((\d{1,3})%\)")
_PAUSED: Final = re.compile(r"\([^()]*\bpaused\b[^()]*\)", re.IGNORECASE)
_MODE: Final = re.compile(r"\((fast|relaxed|turbo)(?:,\s*stealth)?\)")
_UPSCALE_INDEX: Final = re.compile(r"^\s*-\s*Image #(\d+)")
_UPSCALE_HD: Final = re.compile(r"^\s*-\s*Upscal(?:ed|ing)\b")
_PLACEHOLDER: Final = re.compile(r"\b(?:Displaying|Animating)\.\.\.")
_WAITING: Final = "(Waiting to start)"
_STOPPED: Final = "(Stopped)"
_FAILED_CONTENT_PREFIXES: Final = ("Failed", "Sorry! Could not complete the job!")
_NOTICE: Final = re.compile(r"^\s*(?:Done!|Remix mode turned (?:on|off)\b)")


# ============================================================================================
# Dispatch
# ============================================================================================


def parse(event: str, data: RawMessage) -> MjEvent | None:
    """What one gateway dispatch means for a Midjourney job, or None if it means nothing."""
    parser = _EVENT_PARSERS.get(event)
    # Any other dispatch the user session passes on may be Vary (Region)'s editor opening.
    return parse_iframe(data) if parser is None else parser(data)


def parse_message_delete(data: RawMessage) -> Deleted:
    """Any deleted message: Midjourney deletes a job's progress message once it is done."""
    return Deleted(message_id=data.get("id") or "", channel_id=data.get("channel_id") or "")


def parse_message(data: RawMessage) -> MjEvent | None:
    """A created or edited message: both carry the same formats (see
    docs/midjourney-on-the-wire.md#create-update-delete)."""
    author = data.get("author") or EMPTY
    if author.get("id") not in MIDJOURNEY_BOT_IDS:
        return None
    content: str = data.get("content") or ""
    embeds = data.get("embeds")
    if embeds:
        event = parse_embed(data, embeds[0], content)
        if event is not None:
            return event
    # Warnings, link previews, /info and the like say nothing themselves; the content still may.
    return _parse_content(data, content)


def parse_interaction_ack(data: RawMessage, *, accepted: bool) -> InteractionAck | None:
    """INTERACTION_SUCCESS / INTERACTION_FAILURE: `{id, nonce}` of our interaction (see
    docs/midjourney-on-the-wire.md#forms-modals)."""
    if not data.get("nonce") or not data.get("id"):
        return None
    return InteractionAck(str(data["nonce"]), str(data["id"]), accepted)


def parse_modal(data: RawMessage) -> ModalOpened | None:
    """INTERACTION_MODAL_CREATE: the form Midjourney opens instead of starting a job (see
    docs/midjourney-on-the-wire.md#forms-modals)."""
    if not data.get("nonce") or not data.get("id") or not data.get("custom_id"):
        return None
    fields = tuple(
        str(field["custom_id"])
        for row in data.get("components") or ()
        for field in row.get("components") or ()
        if field.get("type") == _TEXT_INPUT
    )
    return ModalOpened(str(data["nonce"]), str(data["id"]), str(data["custom_id"]), fields)


_TEXT_INPUT: Final = 4

_EVENT_PARSERS: Final[Mapping[str, Callable[[RawMessage], MjEvent | None]]] = {
    "MESSAGE_CREATE": parse_message,
    "MESSAGE_UPDATE": parse_message,
    "MESSAGE_DELETE": parse_message_delete,
    "INTERACTION_SUCCESS": lambda data: parse_interaction_ack(data, accepted=True),
    "INTERACTION_FAILURE": lambda data: parse_interaction_ack(data, accepted=False),
    "INTERACTION_MODAL_CREATE": parse_modal,
    "INTERACTION_IFRAME_MODAL_CREATE": parse_iframe,
}


# ============================================================================================
# Messages told apart by their content (docs/midjourney-on-the-wire.md#message-content)
# ============================================================================================


def _parse_content(data: RawMessage, content: str) -> MjEvent | None:
    """Route a job message by the status Midjourney writes after the prompt and the mention."""
    if content.startswith(_FAILED_CONTENT_PREFIXES):
        return _parse_failed_content(data, content)
    if _NOTICE.match(content) is not None:
        return text_result(data, ResultKind.NOTICE, (content.strip(),))
    match = PROMPT.search(content)
    if match is None:
        return None  # plain chatter: "Displaying..." alone, and the like
    prompt = match.group(1)
    # Only look after the prompt (a prompt may itself contain "(50%)"), and only on its line:
    # the late-2024 "-# Create, explore, ..." footer follows on a new line.
    status = content[match.end() :].partition("\n")[0]
    if _PLACEHOLDER.search(status) is not None:
        return None  # a video is being posted; its real message follows
    if _WAITING in status:
        found = buttons(data.get("components") or ())
        return Started(ref=message_ref(data), prompt=prompt, buttons=found)
    if _STOPPED in status:
        return _parse_stopped(data, prompt)
    percent = _PERCENT.search(status)
    if percent is not None:
        return _parse_progress(data, prompt, int(percent.group(1)))
    if _PAUSED.search(status) is not None:
        return _parse_progress(data, prompt, None)
    return _parse_completed(data, prompt, status)


def _parse_progress(data: RawMessage, prompt: str, percent: int | None) -> Progress:
    """`(15%)`: the job runs; its pictures, if any, are previews (a `grid_0.webp`, or a
    video's four step frames)."""
    previews = tuple(image_of(a) for a in data.get("attachments") or () if is_picture(a))
    found = buttons(data.get("components") or ())
    return Progress(
        ref=message_ref(data), prompt=prompt, percent=percent, previews=previews, buttons=found
    )


def _parse_stopped(data: RawMessage, prompt: str) -> Failed:
    """`(Stopped)`: Midjourney gave up on the job mid-way."""
    return Failed(
        ref=message_ref(data), kind=ErrorKind.STOPPED, title="Stopped", reason="", prompt=prompt
    )


def _parse_completed(data: RawMessage, prompt: str, status: str) -> Completed | None:
    """A finished image: an image attachment plus the buttons to act on it."""
    attachment = first_result_attachment(data.get("attachments"))
    components = data.get("components")
    if attachment is None or not components:
        return None
    found_buttons = buttons(components)
    index: int | None = None
    if is_video(attachment) or video_grid([button.custom_id for button in found_buttons]):
        kind = ResultKind.VIDEO
    elif (upscale := _UPSCALE_INDEX.match(status)) is not None:
        kind = ResultKind.UPSCALE
        index = int(upscale.group(1))
    elif _UPSCALE_HD.match(status) is not None:
        kind = ResultKind.UPSCALE_HD
    else:
        # imagine, reroll, variations, remix, pan, zoom and blend all end in a 2x2 grid.
        kind = ResultKind.GRID
    mode = _MODE.search(status)
    image = image_of(attachment)
    return Completed(
        ref=message_ref(data),
        prompt=prompt,
        kind=kind,
        image=image,
        job_hash=job_hash(image.filename) or job_hash(image.url) or buttons_hash(found_buttons),
        buttons=found_buttons,
        index=index,
        mode=None if mode is None else mode.group(1),
    )


def _parse_failed_content(data: RawMessage, content: str) -> Failed:
    """Plain-text failures: `Failed to ...` or `Sorry! Could not complete the job!`."""
    title, _, reason = content.strip().partition("\n")
    return Failed(
        ref=message_ref(data),
        kind=ErrorKind.JOB_FAILED,
        title=title.strip(),
        reason=reason.strip(),
        prompt=content_prompt(content),
        buttons=buttons(data.get("components") or ()),
    )

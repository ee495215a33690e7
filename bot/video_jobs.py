"""What makes a job a video job, and the prompt of a video made from the user's pictures.

A video costs about eight images at Midjourney, so it is a job kind of its own (JobKind.VIDEO,
priced by JOB_COSTS). Which buttons make one is bridge/buttons.py's to say: a video grid's U1-U4
read like a picture grid's, only their custom_ids tell them apart.
"""

from __future__ import annotations

import re
from typing import Final

from bot.refusals import Refusal
from bot.texts import N_
from bridge.buttons import makes_video
from bridge.messages import ResultKind
from storage.models import Job, JobKind

_CLIPS: Final = (".mp4", ".webm", ".mov")
# Midjourney's words when a video job asks for turbo (docs/midjourney-on-the-wire.md#video).
TURBO_REFUSAL: Final = "Turbo mode isn't supported for video jobs"
_TURBO: Final = re.compile(r"(?<!\S)--turbo(?!\S)", re.IGNORECASE)
_VIDEO_FLAG: Final = re.compile(r"(?<!\S)--video(?!\S)", re.IGNORECASE)


def is_video_result(job: Job) -> bool:
    """A video grid, or one clip (an MP4)."""
    return job.result_kind == ResultKind.VIDEO


def is_video_clip(job: Job) -> bool:
    """One clip (Midjourney's MP4), not the grid of four (an animated WebP)."""
    return is_video_result(job) and (job.result_filename or "").lower().endswith(_CLIPS)


def button_kind(custom_id: str | None, parent: Job) -> JobKind:
    """VIDEO for a button that makes a new video (Animate, Extend, a video grid's reroll);
    ACTION for the rest, a video grid's clip buttons (🎬 N) included."""
    video = makes_video(custom_id, under_video=is_video_result(parent))
    return JobKind.VIDEO if video else JobKind.ACTION


def turbo_refused(prompt: str) -> bool:
    """True for a video prompt that asks for turbo, which Midjourney refuses for video."""
    return _VIDEO_FLAG.search(prompt) is not None and _TURBO.search(prompt) is not None


def video_prompt(urls: list[str], prompt: str) -> str:
    """`<start image> [motion prompt] --video [--end <end image>]`: the first picture starts the
    video, a second one ends it (docs/midjourney-on-the-wire.md#starting-a-video). The user's
    own flags (--motion, --loop, --bs, --raw) stay as typed; Midjourney judges them."""
    parts = [urls[0], prompt] if urls else [prompt]
    text = " ".join(part for part in parts if part).strip()
    if _VIDEO_FLAG.search(text) is None:
        text += " --video"
    if len(urls) > 1:
        text += f" --end {urls[1]}"
    return text


USAGE = N_(
    "🎞 Send a photo with the caption /video followed by how it should move, or reply "
    "/video <prompt> to a photo. Options: --motion low|high, --loop, --bs 1|2|4. An album of "
    "two photos: the second one is the last frame."
)
TURBO_REFUSED = N_(
    "⚠️ Not sent — Midjourney says: Turbo mode isn't supported for video jobs. Please remove "
    "--turbo."
)


def check_video(count: int, prompt: str, limit: int, too_long: str) -> None:
    """Raise Refusal when a /video with `count` pictures and this prompt cannot go."""
    if count == 0:
        raise Refusal(USAGE)
    if count > 2:
        raise Refusal(
            N_(
                "A video starts from one photo; a second one (an album of two) becomes its last "
                "frame. Please send one or two."
            )
        )
    if len(prompt) > limit:
        raise Refusal(too_long, length=len(prompt), limit=limit)
    if _TURBO.search(prompt) is not None:
        raise Refusal(TURBO_REFUSED)

"""What a Midjourney button does, read from its custom_id: the one place that knows them.

The bot labels and lays out keys by `ButtonClass.kind`; it never reads a custom_id itself.
Prefixes are matched, never labels: a video grid's `U1`-`U4` carry the same labels as an image
grid's (tests/data/samples/65_v7_video_result.json), only their custom_ids tell them apart. The
one exception is "Redo Upscale (Subtle/Creative)", which reuses the custom_id of the upscale it
redoes: its label says it is a redo. A prefix not listed here is `UNKNOWN`, and Midjourney's own
label is shown for it, so a button Midjourney adds tomorrow is still offered.

Facts (recorded in tests/data/samples/55-65): grid `upsample::N`, `variation::N`, `reroll::0`; the
V6/V7 SOLO's `upsample_v7_2x_subtle|creative`, `low_variation`, `high_variation`,
`MJ::Inpaint::1`, `MJ::Outpaint::50|75|100`, `MJ::CustomZoom`, `pan_*`, `animate_high|low`,
`MJ::BOOKMARK`; a video's `video_virtual_upscale::N` and `animate_high|low_extend`; a progress
message's `MJ::CancelJob::ByJobid`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class ButtonKind(StrEnum):
    UPSCALE = "upscale"  # U1-U4 of an image grid
    VARIATION = "variation"  # V1-V4
    REROLL = "reroll"
    VARY_SUBTLE = "vary_subtle"
    VARY_STRONG = "vary_strong"
    VARY_REGION = "vary_region"  # needs a mask
    ZOOM = "zoom"  # detail: "2", "1.5", or "1" (Make Square)
    CUSTOM_ZOOM = "custom_zoom"  # needs a factor
    PAN = "pan"  # detail: left, right, up, down
    UPSCALE_SUBTLE = "upscale_subtle"
    UPSCALE_CREATIVE = "upscale_creative"
    UPSCALE_MORE = "upscale_more"  # V5's 2x / 4x; detail: "2x", "4x"
    REDO_UPSCALE = "redo_upscale"  # detail: subtle, creative
    ANIMATE = "animate"  # detail: high, low (motion)
    VIDEO_UPSCALE = "video_upscale"  # U1-U4 of a video grid
    EXTEND = "extend"  # detail: high, low
    BOOKMARK = "bookmark"  # makes no job: Midjourney answers "You have successfully rated"
    CANCEL = "cancel"  # Cancel Job on a progress message
    LINK = "link"  # a URL button (the job's page)
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ButtonClass:
    kind: ButtonKind
    index: int | None = None  # which picture of a grid (U2 -> 2)
    detail: str = ""  # see ButtonKind
    # Pressing it again makes the same picture again: the bot lets it work once.
    once: bool = False
    # Midjourney needs more than the press: a mask (region) or a factor (custom zoom).
    needs_input: bool = False
    # Pressing it starts a job that ends in a result (Bookmark and Cancel do not).
    makes_job: bool = True


_NO_JOB: Final = frozenset({ButtonKind.BOOKMARK, ButtonKind.CANCEL, ButtonKind.LINK})
_INPUT: Final = frozenset({ButtonKind.VARY_REGION, ButtonKind.CUSTOM_ZOOM})
_ONCE: Final = frozenset(
    {
        ButtonKind.UPSCALE,
        ButtonKind.UPSCALE_SUBTLE,
        ButtonKind.UPSCALE_CREATIVE,
        ButtonKind.UPSCALE_MORE,
        ButtonKind.REDO_UPSCALE,
        ButtonKind.VIDEO_UPSCALE,
    }
)
# Pressing them makes a new video; so does a video grid's reroll (see `makes_video`).
_VIDEO: Final = frozenset({ButtonKind.ANIMATE, ButtonKind.EXTEND})
# Midjourney's form for an Animate or Extend under remix: its words (the motion prompt) only
# the user can give, so the job waits for them (bridge/events.py JobAsks) and the bot files its
# question about them under this id, as it files a custom zoom question under its button's.
MOTION_FORM: Final = "MJ::AnimateModal"
_ZOOMS: Final = {"50": "2", "75": "1.5", "100": "1"}
# (pattern, kind); the pattern's group "index" and "detail", when present, fill those fields.
# First match wins: `animate_high_extend` is tried before `animate_high`.
_RULES: Final[tuple[tuple[re.Pattern[str], ButtonKind], ...]] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (r"MJ::JOB::upsample::(?P<index>\d+)::", ButtonKind.UPSCALE),
        (r"MJ::JOB::variation::(?P<index>\d+)::", ButtonKind.VARIATION),
        (r"MJ::JOB::reroll::", ButtonKind.REROLL),
        (r"MJ::JOB::low_variation::", ButtonKind.VARY_SUBTLE),
        (r"MJ::JOB::high_variation::", ButtonKind.VARY_STRONG),
        (r"MJ::Inpaint::", ButtonKind.VARY_REGION),
        (r"MJ::Outpaint::(?P<detail>50|75|100)::", ButtonKind.ZOOM),
        (r"MJ::CustomZoom::", ButtonKind.CUSTOM_ZOOM),
        (r"MJ::JOB::pan_(?P<detail>left|right|up|down)::", ButtonKind.PAN),
        (r"MJ::JOB::upsample_v\w+?_2x_subtle::", ButtonKind.UPSCALE_SUBTLE),
        (r"MJ::JOB::upsample_v\w+?_2x_creative::", ButtonKind.UPSCALE_CREATIVE),
        (r"MJ::JOB::upsample_v5_(?P<detail>2x|4x)::", ButtonKind.UPSCALE_MORE),
        (r"MJ::JOB::video_virtual_upscale::(?P<index>\d+)::", ButtonKind.VIDEO_UPSCALE),
        (r"MJ::JOB::animate_(?P<detail>high|low)_extend::", ButtonKind.EXTEND),
        (r"MJ::JOB::animate_(?P<detail>high|low)::", ButtonKind.ANIMATE),
        (r"MJ::BOOKMARK::", ButtonKind.BOOKMARK),
        (r"MJ::CancelJob::", ButtonKind.CANCEL),
    )
)


def classify(custom_id: str | None, label: str = "", *, url: str | None = None) -> ButtonClass:
    """What the button with this custom_id (and Midjourney's label) does."""
    if not custom_id:
        return ButtonClass(ButtonKind.LINK if url else ButtonKind.UNKNOWN, makes_job=False)
    for pattern, kind in _RULES:
        match = pattern.match(custom_id)
        if match is None:
            continue
        groups = match.groupdict()
        detail = groups.get("detail") or ""
        if kind is ButtonKind.ZOOM:
            detail = _ZOOMS[detail]
        elif kind in (ButtonKind.UPSCALE_SUBTLE, ButtonKind.UPSCALE_CREATIVE) and (
            label.startswith("Redo")
        ):
            detail = kind.value.removeprefix("upscale_")
            kind = ButtonKind.REDO_UPSCALE
        index = groups.get("index")
        return ButtonClass(
            kind,
            index=None if index is None else int(index),
            detail=detail,
            once=kind in _ONCE,
            needs_input=kind in _INPUT,
            makes_job=kind not in _NO_JOB,
        )
    return ButtonClass(ButtonKind.UNKNOWN)


def makes_video(custom_id: str | None, *, under_video: bool) -> bool:
    """True when pressing the button makes a new video: Animate and Extend, and the reroll of
    a video grid (`under_video`). A video grid's U1-U4 make none: they cut a clip out of the
    video Midjourney already made."""
    kind = classify(custom_id).kind
    return kind in _VIDEO or (kind is ButtonKind.REROLL and under_video)


def video_grid(custom_ids: list[str]) -> bool:
    """True when the buttons are a video result's (its U1-U4 upscale videos, not pictures)."""
    return any(classify(c).kind is ButtonKind.VIDEO_UPSCALE for c in custom_ids)

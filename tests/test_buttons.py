"""bridge.buttons: one classification of Midjourney's buttons, from their custom_ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.buttons import ButtonClass, ButtonKind, classify, makes_video, video_grid

U = "7af96d1a-67c7-4d74-b173-8430c98c7631"
SOLO = f"1::{U}::SOLO"


@pytest.mark.parametrize(
    ("custom_id", "label", "expected"),
    [
        (f"MJ::JOB::upsample::2::{U}", "U2", ButtonClass(ButtonKind.UPSCALE, 2, once=True)),
        (f"MJ::JOB::variation::3::{U}", "V3", ButtonClass(ButtonKind.VARIATION, 3)),
        (f"MJ::JOB::reroll::0::{U}::SOLO", "", ButtonClass(ButtonKind.REROLL)),
        (f"MJ::JOB::low_variation::{SOLO}", "", ButtonClass(ButtonKind.VARY_SUBTLE)),
        (f"MJ::JOB::high_variation::{SOLO}", "", ButtonClass(ButtonKind.VARY_STRONG)),
        (f"MJ::Inpaint::{SOLO}", "", ButtonClass(ButtonKind.VARY_REGION, needs_input=True)),
        (f"MJ::Outpaint::50::{SOLO}", "", ButtonClass(ButtonKind.ZOOM, detail="2")),
        (f"MJ::Outpaint::75::{SOLO}", "", ButtonClass(ButtonKind.ZOOM, detail="1.5")),
        (f"MJ::Outpaint::100::{SOLO}", "", ButtonClass(ButtonKind.ZOOM, detail="1")),
        (f"MJ::CustomZoom::{U}", "", ButtonClass(ButtonKind.CUSTOM_ZOOM, needs_input=True)),
        (f"MJ::JOB::pan_up::{SOLO}", "", ButtonClass(ButtonKind.PAN, detail="up")),
        (
            f"MJ::JOB::upsample_v7_2x_subtle::{SOLO}",
            "Upscale (Subtle)",
            ButtonClass(ButtonKind.UPSCALE_SUBTLE, once=True),
        ),
        (
            f"MJ::JOB::upsample_v6_2x_creative::{SOLO}",
            "Upscale (Creative)",
            ButtonClass(ButtonKind.UPSCALE_CREATIVE, once=True),
        ),
        (
            f"MJ::JOB::upsample_v7_2x_creative::{SOLO}",
            "Redo Upscale (Creative)",
            ButtonClass(ButtonKind.REDO_UPSCALE, detail="creative", once=True),
        ),
        (
            f"MJ::JOB::upsample_v5_4x::{SOLO}",
            "",
            ButtonClass(ButtonKind.UPSCALE_MORE, detail="4x", once=True),
        ),
        (f"MJ::JOB::animate_high::{SOLO}", "", ButtonClass(ButtonKind.ANIMATE, detail="high")),
        (f"MJ::JOB::animate_low_extend::1::{U}", "", ButtonClass(ButtonKind.EXTEND, detail="low")),
        (
            f"MJ::JOB::video_virtual_upscale::4::{U}",
            "U4",  # the same label as an image grid's U4
            ButtonClass(ButtonKind.VIDEO_UPSCALE, 4, once=True),
        ),
        (f"MJ::BOOKMARK::{U}", "", ButtonClass(ButtonKind.BOOKMARK, makes_job=False)),
        (
            f"MJ::CancelJob::ByJobid::{U}",
            "Cancel Job",
            ButtonClass(ButtonKind.CANCEL, makes_job=False),
        ),
        (f"MJ::JOB::retexture::1::{U}::SOLO", "Retexture", ButtonClass(ButtonKind.UNKNOWN)),
    ],
)
def test_classify(custom_id: str, label: str, expected: ButtonClass) -> None:
    assert classify(custom_id, label) == expected


def test_a_link_and_a_button_without_id() -> None:
    assert classify(None, "Web", url="https://midjourney.com/jobs/x").kind is ButtonKind.LINK
    assert classify("", "").kind is ButtonKind.UNKNOWN


def test_video_grid_is_told_by_custom_ids() -> None:
    assert video_grid([f"MJ::JOB::video_virtual_upscale::1::{U}", f"MJ::JOB::reroll::0::{U}"])
    assert not video_grid([f"MJ::JOB::upsample::1::{U}"])


def test_animate_and_extend_make_a_new_video_and_a_reroll_only_under_a_video() -> None:
    for custom_id in (
        f"MJ::JOB::animate_high::1::{U}::SOLO",
        f"MJ::JOB::animate_low_extend::2::{U}",
    ):
        assert makes_video(custom_id, under_video=False)
    assert makes_video(f"MJ::JOB::reroll::0::{U}::SOLO", under_video=True)
    assert not makes_video(f"MJ::JOB::reroll::0::{U}::SOLO", under_video=False)
    assert not makes_video(f"MJ::JOB::video_virtual_upscale::1::{U}", under_video=True)
    assert not makes_video(None, under_video=True)


def test_every_button_of_our_samples_is_known() -> None:
    """Every custom_id in tests/data/samples is one of the kinds above, none UNKNOWN."""
    folder = Path(__file__).parent / "data" / "samples"
    seen = set()
    for path in folder.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        for row in data.get("components") or ():
            for component in row.get("components") or ():
                custom_id = component.get("custom_id") or ""
                if custom_id.startswith(("MJ::JOB::", "MJ::Outpaint", "MJ::Inpaint", "MJ::BOOK")):
                    kind = classify(custom_id, component.get("label") or "").kind
                    assert kind is not ButtonKind.UNKNOWN, custom_id
                    seen.add(kind)
    assert {ButtonKind.VIDEO_UPSCALE, ButtonKind.REDO_UPSCALE, ButtonKind.ANIMATE} <= seen

"""Keyboard layout from Midjourney's components (pure)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.keyboards import CALLBACK_PREFIX, layout, markup
from bridge.simulator import grid_buttons, upscale_buttons

HASH = "7af96d1a-67c7-4d74-b173-8430c98c7631"


def flat(components: list[dict]) -> list[dict]:
    return [button for row in components for button in row["components"]]


def test_grid_keyboard_has_u_v_and_reroll() -> None:
    rows = layout(flat(grid_buttons(HASH)), original_label=None)
    assert [[key.label for key in row] for row in rows] == [
        ["U1", "U2", "U3", "U4", "🔄"],
        ["V1", "V2", "V3", "V4"],
    ]
    assert rows[0][1].custom_id == f"MJ::JOB::upsample::2::{HASH}"
    assert rows[0][4].custom_id == f"MJ::JOB::reroll::0::{HASH}::SOLO"


def test_upscale_keyboard_rows_fit_a_phone_and_skip_what_telegram_cannot_drive() -> None:
    rows = layout(flat(upscale_buttons(HASH)), original_label="📎 Original")
    labels = [[key.label for key in row] for row in rows]
    assert labels == [
        ["🔍 Upscale (Subtle)", "🔍 Upscale (Creative)"],
        ["🪄 Vary (Subtle)", "🪄 Vary (Strong)"],
        ["🔎 Zoom Out 2x", "🔎 Zoom Out 1.5x", "🔎 Custom Zoom"],
        ["⬅️", "➡️", "⬆️", "⬇️"],
        ["🎞 Animate (High motion)", "🎞 Animate (Low motion)"],
        ["📎 Original"],
    ]
    assert all(len(row) <= 4 for row in rows)
    assert rows[-1][0].action == "original"


def test_video_keyboards_come_from_the_custom_ids_never_the_labels() -> None:
    grid = [
        *({"custom_id": f"MJ::JOB::video_virtual_upscale::{n}::{HASH}", "label": f"U{n}"}
          for n in range(1, 5)),
        {"custom_id": f"MJ::JOB::reroll::0::{HASH}::SOLO"},
    ]
    rows = layout(grid, original_label=None)
    assert [[key.label for key in row] for row in rows] == [["🎬 1", "🎬 2", "🎬 3", "🎬 4", "🔄"]]
    assert rows[0][1].custom_id == f"MJ::JOB::video_virtual_upscale::2::{HASH}"

    clip = [
        {"custom_id": f"MJ::JOB::animate_high_extend::2::{HASH}", "label": "Extend (High motion)"},
        {"custom_id": f"MJ::JOB::animate_low_extend::2::{HASH}", "label": "Extend (Low motion)"},
    ]
    rows = layout(clip, original_label="📎 Original")
    assert [[key.label for key in row] for row in rows] == [
        ["🎞 Extend (High motion)", "🎞 Extend (Low motion)"],
        ["📎 Original"],
    ]


def test_unknown_buttons_are_left_out() -> None:
    rows = layout(
        [{"custom_id": "MJ::BOOKMARK::x"}, {"custom_id": None}, {"label": "Web"}],
        original_label=None,
    )
    assert rows == []


def test_markup_pairs_tokens_in_reading_order_within_64_bytes() -> None:
    rows = layout(flat(grid_buttons(HASH)), original_label=None)
    tokens = [f"tok{n:05d}" for n in range(9)]
    keyboard = markup(rows, tokens).inline_keyboard
    datas = [button.callback_data for row in keyboard for button in row]
    assert datas == [CALLBACK_PREFIX + token for token in tokens]
    assert all(len(str(data).encode()) <= 64 for data in datas)


def _sample_buttons(name: str) -> list[dict]:
    path = Path(__file__).parent / "data" / "samples" / f"{name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return flat(data["components"])


def test_a_v7_upscale_keyboard_leaves_out_region_bookmark_and_link() -> None:
    rows = layout(_sample_buttons("58_v7_upscale_image_1"), original_label=None)
    assert [[key.label for key in row] for row in rows] == [
        ["🔍 Upscale (Subtle)", "🔍 Upscale (Creative)"],
        ["🪄 Vary (Subtle)", "🪄 Vary (Strong)"],
        ["🔎 Zoom Out 2x", "🔎 Zoom Out 1.5x", "🔎 Custom Zoom"],
        ["⬅️", "➡️", "⬆️", "⬇️"],
        ["🎞 Animate (High motion)", "🎞 Animate (Low motion)"],
    ]


def test_redo_upscale_buttons_say_redo() -> None:
    rows = layout(_sample_buttons("59_v7_upscaled_by"), original_label=None)
    assert [key.label for key in rows[0]] == [
        "🔁 Redo Upscale (Subtle)",
        "🔁 Redo Upscale (Creative)",
    ]


def test_a_video_grids_u_buttons_are_never_image_upscales() -> None:
    rows = layout(_sample_buttons("65_v7_video_result"), original_label=None)
    assert [[key.label for key in row] for row in rows] == [["🎬 1", "🎬 2", "🎬 3", "🎬 4", "🔄"]]
    assert all(not key.label.startswith("U") for row in rows for key in row)


def test_a_button_midjourney_adds_later_is_offered_under_its_own_label() -> None:
    future = [
        {"custom_id": f"MJ::JOB::retexture::1::{HASH}::SOLO", "label": "Retexture"},
        {"custom_id": f"MJ::Brand::New::{HASH}", "label": "", "emoji": "✨"},
        {"custom_id": f"MJ::JOB::upsample::1::{HASH}", "label": "U1"},
    ]
    rows = layout(future, original_label=None)
    assert [[key.label for key in row] for row in rows] == [["U1"], ["Retexture", "✨"]]
    assert rows[1][0].custom_id == f"MJ::JOB::retexture::1::{HASH}::SOLO"
    assert rows[1][0].action == "mj"

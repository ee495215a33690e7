"""Keyboard layout from Midjourney's components (pure)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from bot.callbacks import ResultButton
from bot.keyboards import MAX_KEYS_PER_ROW, layout, markup
from bot.texts import LANGUAGES, texts
from bridge.simulator import grid_buttons, upscale_buttons

EN = texts("en")

HASH = "7af96d1a-67c7-4d74-b173-8430c98c7631"


def flat(components: list[dict]) -> list[dict]:
    return [button for row in components for button in row["components"]]


def test_grid_keyboard_has_u_v_and_reroll() -> None:
    rows = layout(flat(grid_buttons(HASH)), EN)
    assert [[key.label for key in row] for row in rows] == [
        ["U1", "U2", "U3", "U4"],
        ["V1", "V2", "V3", "V4"],
        ["🔄"],
    ]
    assert rows[0][1].custom_id == f"MJ::JOB::upsample::2::{HASH}"
    assert rows[0][1].kind == "upscale:2"
    assert rows[2][0].custom_id == f"MJ::JOB::reroll::0::{HASH}::SOLO"


def test_upscale_keyboard_rows_fit_a_phone_and_skip_what_telegram_cannot_drive() -> None:
    rows = layout(flat(upscale_buttons(HASH)), EN, original=True)
    labels = [[key.label for key in row] for row in rows]
    assert labels == [
        ["⏫ Subtle", "⏫ Creative"],
        ["🌀 Vary subtle", "🌀 Vary strong"],
        ["🔭 ×2", "🔭 ×1.5", "🔭 Custom"],
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
    rows = layout(grid, EN)
    # At most four keys a row (a narrow phone): 🔄 on a row of its own, as under a picture grid.
    labels = [[key.label for key in row] for row in rows]
    assert labels == [["🎬 1", "🎬 2", "🎬 3", "🎬 4"], ["🔄"]]
    assert rows[0][1].custom_id == f"MJ::JOB::video_virtual_upscale::2::{HASH}"

    clip = [
        {"custom_id": f"MJ::JOB::animate_high_extend::2::{HASH}", "label": "Extend (High motion)"},
        {"custom_id": f"MJ::JOB::animate_low_extend::2::{HASH}", "label": "Extend (Low motion)"},
    ]
    rows = layout(clip, EN, original=True)
    assert [[key.label for key in row] for row in rows] == [
        ["🎞 Extend (High motion)", "🎞 Extend (Low motion)"],
        ["📎 Original"],
    ]


def test_unknown_buttons_are_left_out() -> None:
    rows = layout(
        [{"custom_id": "MJ::BOOKMARK::x"}, {"custom_id": None}, {"label": "Web"}],
        EN,
    )
    assert rows == []


def test_markup_pairs_tokens_in_reading_order_within_64_bytes() -> None:
    rows = layout(flat(grid_buttons(HASH)), EN)
    tokens = [f"tok{n:05d}" for n in range(9)]
    keyboard = markup(rows, tokens).inline_keyboard
    datas = [button.callback_data for row in keyboard for button in row]
    assert datas == [ResultButton(token).pack() for token in tokens]
    assert all(len(str(data).encode()) <= 64 for data in datas)


def _sample_buttons(name: str) -> list[dict]:
    path = Path(__file__).parent / "data" / "samples" / f"{name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return flat(data["components"])


def test_a_v7_upscale_keyboard_leaves_out_region_bookmark_and_link() -> None:
    rows = layout(_sample_buttons("58_v7_upscale_image_1"), EN)
    assert [[key.label for key in row] for row in rows] == [
        ["⏫ Subtle", "⏫ Creative"],
        ["🌀 Vary subtle", "🌀 Vary strong"],
        ["🔭 ×2", "🔭 ×1.5", "🔭 Custom"],
        ["⬅️", "➡️", "⬆️", "⬇️"],
        ["🎞 Animate (High motion)", "🎞 Animate (Low motion)"],
    ]


def test_redo_upscale_buttons_say_redo() -> None:
    rows = layout(_sample_buttons("59_v7_upscaled_by"), EN)
    assert [key.label for key in rows[0]] == [
        "🔁 Redo subtle",
        "🔁 Redo creative",
    ]


def test_a_video_grids_u_buttons_are_never_image_upscales() -> None:
    rows = layout(_sample_buttons("65_v7_video_result"), EN)
    labels = [[key.label for key in row] for row in rows]
    assert labels == [["🎬 1", "🎬 2", "🎬 3", "🎬 4"], ["🔄"]]
    assert all(not key.label.startswith("U") for row in rows for key in row)


def test_a_button_midjourney_adds_later_is_offered_under_its_own_label() -> None:
    future = [
        {"custom_id": f"MJ::JOB::retexture::1::{HASH}::SOLO", "label": "Retexture"},
        {"custom_id": f"MJ::Brand::New::{HASH}", "label": "", "emoji": "✨"},
        {"custom_id": f"MJ::JOB::upsample::1::{HASH}", "label": "U1"},
    ]
    rows = layout(future, EN)
    assert [[key.label for key in row] for row in rows] == [["U1"], ["Retexture", "✨"]]
    assert rows[1][0].custom_id == f"MJ::JOB::retexture::1::{HASH}::SOLO"
    assert rows[1][0].action == "mj"


# Every kind of button Midjourney attaches, as one message would carry them.
EVERY_BUTTON = [
    *(f"MJ::JOB::upsample::{n}::{HASH}" for n in range(1, 5)),
    f"MJ::JOB::reroll::0::{HASH}::SOLO",
    *(f"MJ::JOB::variation::{n}::{HASH}" for n in range(1, 5)),
    f"MJ::JOB::upsample_v7_2x_subtle::1::{HASH}::SOLO",
    f"MJ::JOB::upsample_v7_2x_creative::1::{HASH}::SOLO",
    f"MJ::JOB::low_variation::1::{HASH}::SOLO",
    f"MJ::JOB::high_variation::1::{HASH}::SOLO",
    f"MJ::Outpaint::50::1::{HASH}::SOLO",
    f"MJ::Outpaint::75::1::{HASH}::SOLO",
    f"MJ::CustomZoom::{HASH}",
    f"MJ::Outpaint::100::1::{HASH}::SOLO",
    *(f"MJ::JOB::pan_{side}::1::{HASH}::SOLO" for side in ("left", "right", "up", "down")),
]


def width(label: str) -> int:
    """A label's width in narrow characters: CJK and emoji take two, combining marks none."""
    total = 0
    for char in label:
        if unicodedata.combining(char) or char in "\ufe0f\u200d":
            continue
        wide = unicodedata.east_asian_width(char) in "WF" or ord(char) >= 0x1F000
        total += 2 if wide else 1
    return total


# A 360-px-wide phone fits about 40 narrow characters in a keyboard row, padding included.
ROW_BUDGET = 40
KEY_PADDING = 2


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_keyboard_fits_a_narrow_phone_in_every_language(lang: str) -> None:
    _ = texts(lang)
    rows = layout([{"custom_id": c} for c in EVERY_BUTTON], _, original=True)
    assert len([key for row in rows for key in row]) == len(EVERY_BUTTON) + 1
    for row in rows:
        labels = [key.label for key in row]
        assert len(row) <= MAX_KEYS_PER_ROW, labels
        assert sum(width(label) + KEY_PADDING for label in labels) <= ROW_BUDGET, (lang, labels)
    # Distinct kinds look distinct: no two rows of actions share their leading emoji.
    leads = {row[0].label.split()[0] for row in rows[3:6]}
    assert len(leads) == 3, leads

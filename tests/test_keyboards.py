"""Keyboard layout from Midjourney's components (pure)."""

from __future__ import annotations

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
        ["📎 Original"],
    ]
    assert all(len(row) <= 4 for row in rows)
    assert rows[-1][0].action == "original"


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

"""Inline keyboards built from the buttons Midjourney attached to a result.

Pure layout: which of Midjourney's buttons we show, under which label, in which row. The caller
stores a token per button and puts the tokens into callback_data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

CALLBACK_PREFIX = "t:"


@dataclass(frozen=True, slots=True)
class Key:
    label: str
    # "mj" presses custom_id on Midjourney's message; "ask_zoom" asks for a zoom factor first;
    # "original" sends the file; "imagine" runs a suggested prompt; "region" opens the Mini App
    # that paints Vary (Region)'s mask.
    action: str
    custom_id: str | None = None


# (pattern on custom_id, row, label). Order inside a row follows Midjourney's own order.
_RULES: tuple[tuple[re.Pattern[str], int, str | None], ...] = tuple(
    (re.compile(pattern), row, label)
    for pattern, row, label in (
        (r"^MJ::JOB::upsample::(\d)::", 0, "U{0}"),
        (r"^MJ::JOB::reroll::", 0, "🔄"),
        (r"^MJ::JOB::variation::(\d)::", 1, "V{0}"),
        (r"^MJ::JOB::upsample_v\w+_2x_subtle::", 2, "🔍 Upscale (Subtle)"),
        (r"^MJ::JOB::upsample_v\w+_2x_creative::", 2, "🔍 Upscale (Creative)"),
        (r"^MJ::JOB::upsample_v5_2x::", 2, "🔍 Upscale (2x)"),
        (r"^MJ::JOB::upsample_v5_4x::", 2, "🔍 Upscale (4x)"),
        (r"^MJ::JOB::low_variation::", 3, "🪄 Vary (Subtle)"),
        (r"^MJ::JOB::high_variation::", 3, "🪄 Vary (Strong)"),
        (r"^MJ::Inpaint::", 3, "🖌 Vary (Region)"),
        (r"^MJ::Outpaint::50::", 4, "🔎 Zoom Out 2x"),
        (r"^MJ::Outpaint::75::", 4, "🔎 Zoom Out 1.5x"),
        (r"^MJ::Outpaint::100::", 4, "⬛ Make Square"),
        (r"^MJ::CustomZoom::", 4, "🔎 Custom Zoom"),
        (r"^MJ::JOB::pan_left::", 5, "⬅️"),
        (r"^MJ::JOB::pan_right::", 5, "➡️"),
        (r"^MJ::JOB::pan_up::", 5, "⬆️"),
        (r"^MJ::JOB::pan_down::", 5, "⬇️"),
    )
)


def _key_for(custom_id: str) -> tuple[int, Key] | None:
    for pattern, row, label in _RULES:
        match = pattern.match(custom_id)
        if match:
            assert label is not None
            action = "ask_zoom" if custom_id.startswith("MJ::CustomZoom::") else "mj"
            if custom_id.startswith("MJ::Inpaint::"):
                action = "region"
            return row, Key(label.format(*match.groups()), action, custom_id)
    return None


def layout(
    buttons: Iterable[Mapping[str, Any]], *, original_label: str | None, region: bool = False
) -> list[list[Key]]:
    """Rows of keys for Midjourney's buttons; buttons we cannot drive from Telegram are left out.

    Left out: Vary (Region) unless `region` (the Mini App that paints its mask is configured);
    bookmarks and web links do nothing useful here.
    """
    rows: dict[int, list[Key]] = {}
    for button in buttons:
        found = _key_for(str(button.get("custom_id") or ""))
        if found is not None and (region or found[1].action != "region"):
            row, key = found
            rows.setdefault(row, []).append(key)
    result = [rows[row] for row in sorted(rows)]
    if original_label:
        result.append([Key(original_label, "original")])
    return result


# Makes the button that opens the Mini App for a "region" key: (label, token) -> button.
RegionButton = Callable[[str, str], InlineKeyboardButton]


def markup(
    rows: Sequence[Sequence[Key]],
    tokens: Sequence[str],
    region_button: RegionButton | None = None,
) -> InlineKeyboardMarkup:
    """Pair keys (row by row) with their stored tokens."""
    flat_tokens = iter(tokens)

    def button(key: Key, token: str) -> InlineKeyboardButton:
        if key.action == "region" and region_button is not None:
            return region_button(key.label, token)
        return InlineKeyboardButton(key.label, callback_data=CALLBACK_PREFIX + token)

    return InlineKeyboardMarkup(
        [[button(key, next(flat_tokens)) for key in row] for row in rows]
    )

"""Inline keyboards built from the buttons Midjourney attached to a result.

Pure layout: which of Midjourney's buttons we show, under which label, in which row. The caller
stores a token per button and puts the tokens into callback_data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bridge.buttons import ButtonKind, classify

CALLBACK_PREFIX = "t:"


@dataclass(frozen=True, slots=True)
class Key:
    label: str
    # "mj" presses custom_id on Midjourney's message; "ask_zoom" asks for a zoom factor first;
    # "original" sends the file; "imagine" runs a suggested prompt; "region" opens the Mini App
    # that paints Vary (Region)'s mask.
    action: str
    custom_id: str | None = None


_PANS = {"left": "⬅️", "right": "➡️", "up": "⬆️", "down": "⬇️"}
_ZOOMS = {"2": "🔎 Zoom Out 2x", "1.5": "🔎 Zoom Out 1.5x", "1": "⬛ Make Square"}
# Row and label per kind of button (bridge.buttons tells the kind). Order inside a row follows
# Midjourney's own order.
_KINDS: dict[ButtonKind, tuple[int, str]] = {
    ButtonKind.UPSCALE: (0, "U{index}"),
    ButtonKind.REROLL: (0, "🔄"),
    ButtonKind.VARIATION: (1, "V{index}"),
    ButtonKind.UPSCALE_SUBTLE: (2, "🔍 Upscale (Subtle)"),
    ButtonKind.UPSCALE_CREATIVE: (2, "🔍 Upscale (Creative)"),
    ButtonKind.UPSCALE_MORE: (2, "🔍 Upscale ({detail})"),
    ButtonKind.REDO_UPSCALE: (2, "🔁 Redo Upscale ({detail})"),
    ButtonKind.VARY_SUBTLE: (3, "🪄 Vary (Subtle)"),
    ButtonKind.VARY_STRONG: (3, "🪄 Vary (Strong)"),
    ButtonKind.VARY_REGION: (3, "🖌 Vary (Region)"),
    ButtonKind.ZOOM: (4, "{zoom}"),
    ButtonKind.CUSTOM_ZOOM: (4, "🔎 Custom Zoom"),
    ButtonKind.PAN: (5, "{pan}"),
    # A video grid's U1-U4 (same labels as a picture grid's): one clip each.
    ButtonKind.VIDEO_UPSCALE: (0, "🎬 {index}"),
    ButtonKind.ANIMATE: (6, "🎞 Animate ({motion} motion)"),
    ButtonKind.EXTEND: (6, "🎞 Extend ({motion} motion)"),
}
_UNKNOWN_ROW = 7
# Known, but not driven from Telegram: a bookmark or a web link makes no picture, Cancel is the
# status message's. (Vary (Region) needs the Mini App: see `layout`.)
_LEFT_OUT = frozenset(
    {
        ButtonKind.BOOKMARK,
        ButtonKind.CANCEL,
        ButtonKind.LINK,
    }
)


def _key_for(button: Mapping[str, Any]) -> tuple[int, Key] | None:
    custom_id = str(button.get("custom_id") or "")
    if not custom_id:
        return None
    label = str(button.get("label") or "")
    found = classify(custom_id, label)
    if found.kind in _LEFT_OUT:
        return None
    action = {ButtonKind.CUSTOM_ZOOM: "ask_zoom", ButtonKind.VARY_REGION: "region"}.get(
        found.kind, "mj"
    )
    if found.kind is ButtonKind.UNKNOWN:
        # A button Midjourney added after this was written: offered under its own words.
        emoji = button.get("emoji") or ""
        emoji = str(emoji.get("name") or "") if isinstance(emoji, Mapping) else str(emoji)
        shown = " ".join(part for part in (emoji, label.replace("\u200b", "").strip()) if part)
        return _UNKNOWN_ROW, Key(shown or "•", action, custom_id)
    row, template = _KINDS[found.kind]
    detail = found.detail.capitalize() if found.kind is ButtonKind.REDO_UPSCALE else found.detail
    shown = template.format(
        index=found.index,
        detail=detail,
        zoom=_ZOOMS.get(found.detail, "🔎 Zoom Out"),
        pan=_PANS.get(found.detail, "↔️"),
        motion=found.detail.capitalize(),
    )
    return row, Key(shown, action, custom_id)


def layout(
    buttons: Iterable[Mapping[str, Any]], *, original_label: str | None, region: bool = False
) -> list[list[Key]]:
    """Rows of keys for Midjourney's buttons; buttons we cannot drive from Telegram are left out
    (see _LEFT_OUT, and Vary (Region) unless `region`: the Mini App that paints its mask is
    configured); buttons we do not know are offered under Midjourney's label."""
    rows: dict[int, list[Key]] = {}
    for button in buttons:
        found = _key_for(button)
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

    return InlineKeyboardMarkup([[button(key, next(flat_tokens)) for key in row] for row in rows])

"""Inline keyboards built from the buttons Midjourney attached to a result.

Pure layout: which of Midjourney's buttons we show (bridge.buttons tells each one's kind), under
which label, in which row. Rows fit a 360-px-wide phone: at most four keys, short labels, one
emoji per kind of action (⏫ upscale, 🌀 vary, 🔭 zoom out, arrows pan). A grid reads
U1–U4 / V1–V4 / 🔄. The caller stores a token per button and puts the tokens into
callback_data (bot.callbacks.ResultButton). The words a result's caption names each kind by
(bot/captions.py shows them) are here too, so a new kind is this module and bridge/buttons.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CancelJob, ResultButton
from bot.texts import N_, Texts
from bridge.buttons import ButtonClass, ButtonKind, classify

MAX_KEYS_PER_ROW: Final = 4


@dataclass(frozen=True, slots=True)
class Key:
    label: str
    # "mj" presses custom_id on Midjourney's message; "ask_zoom" asks for a zoom factor first;
    # "original" sends the file; "imagine" runs a suggested prompt; "region" opens the Mini App
    # that paints Vary (Region)'s mask.
    action: str
    custom_id: str | None = None
    kind: str | None = None  # what the button does, for the result's caption (bot.captions)


# Row and label per kind (labels N_-marked, translated when the keyboard is built; "{index}" is
# the picture's number). Order inside a row follows Midjourney's own order.
_KINDS: Final[dict[ButtonKind, tuple[int, str]]] = {
    ButtonKind.UPSCALE: (0, "U{index}"),
    ButtonKind.VARIATION: (1, "V{index}"),
    ButtonKind.REROLL: (2, "🔄"),
    ButtonKind.UPSCALE_SUBTLE: (3, N_("⏫ Subtle")),
    ButtonKind.UPSCALE_CREATIVE: (3, N_("⏫ Creative")),
    ButtonKind.UPSCALE_MORE: (3, "⏫ ×{detail}"),
    ButtonKind.REDO_UPSCALE: (3, "{redo}"),
    ButtonKind.VARY_SUBTLE: (4, N_("🌀 Vary subtle")),
    ButtonKind.VARY_STRONG: (4, N_("🌀 Vary strong")),
    ButtonKind.VARY_REGION: (5, N_("🖌 Vary region")),
    ButtonKind.ZOOM: (6, "{zoom}"),
    ButtonKind.CUSTOM_ZOOM: (6, N_("🔭 Custom")),
    ButtonKind.PAN: (7, "{pan}"),
    # A video grid's U1-U4: one clip each.
    ButtonKind.VIDEO_UPSCALE: (0, "🎬 {index}"),
    ButtonKind.ANIMATE: (8, "{motion}"),
    ButtonKind.EXTEND: (8, "{motion}"),
}
_UNKNOWN_ROW: Final = 9
_PANS: Final = {"left": "⬅️", "right": "➡️", "up": "⬆️", "down": "⬇️"}
_ZOOMS: Final = {"2": "🔭 ×2", "1.5": "🔭 ×1.5", "1": N_("⬛ Square")}
_REDOS: Final = {"subtle": N_("🔁 Redo subtle"), "creative": N_("🔁 Redo creative")}
_MOTIONS: Final = {
    (ButtonKind.ANIMATE, "high"): N_("🎞 Animate (High motion)"),
    (ButtonKind.ANIMATE, "low"): N_("🎞 Animate (Low motion)"),
    (ButtonKind.EXTEND, "high"): N_("🎞 Extend (High motion)"),
    (ButtonKind.EXTEND, "low"): N_("🎞 Extend (Low motion)"),
}
# Known, but not driven from Telegram: a bookmark or a web link makes no picture, Cancel is the
# status message's. (Vary (Region) needs the Mini App: see `layout`.)
_LEFT_OUT: Final = frozenset(
    {
        ButtonKind.BOOKMARK,
        ButtonKind.CANCEL,
        ButtonKind.LINK,
    }
)
_ACTIONS: Final = {ButtonKind.CUSTOM_ZOOM: "ask_zoom", ButtonKind.VARY_REGION: "region"}
ORIGINAL: Final = N_("📎 Original")

# A result's caption names the button that made it (Job.label, from caption_kind): the action in
# words, "{index}" the picture of the grid it started from (bot/captions.py shows them).
ACTION_WORDS: Final = {
    "upscale": N_("Picture {index}"),
    "variation": N_("Variations of picture {index}"),
    "reroll": N_("New grid"),
    "upscale_subtle": N_("Upscaled (subtle), picture {index}"),
    "upscale_creative": N_("Upscaled (creative), picture {index}"),
    "upscale_2x": N_("Upscaled ×2, picture {index}"),
    "upscale_4x": N_("Upscaled ×4, picture {index}"),
    "vary_subtle": N_("Variation (subtle) of picture {index}"),
    "vary_strong": N_("Variation (strong) of picture {index}"),
    "vary_region": N_("Region varied, picture {index}"),
    "zoom_out_2": N_("Zoomed out ×2"),
    "zoom_out_1.5": N_("Zoomed out ×1.5"),
    "custom_zoom": N_("Zoomed out ×{index}"),
    "make_square": N_("Made square"),
    "pan_left": N_("Extended to the left"),
    "pan_right": N_("Extended to the right"),
    "pan_up": N_("Extended upwards"),
    "pan_down": N_("Extended downwards"),
    # Video: the button's own words (the keyboard's labels), and a video grid's clip.
    "animate_high": N_("🎞 Animate (High motion)"),
    "animate_low": N_("🎞 Animate (Low motion)"),
    "extend_high": N_("🎞 Extend (High motion)"),
    "extend_low": N_("🎞 Extend (Low motion)"),
    "video_upscale": "🎬 {index}",
}
# The same actions when the picture's number is unknown (a job from before this format).
UNNUMBERED_WORDS: Final = {
    "upscale": N_("Upscaled"),
    "variation": N_("Variations"),
    "upscale_subtle": N_("Upscaled (subtle)"),
    "upscale_creative": N_("Upscaled (creative)"),
    "upscale_2x": N_("Upscaled ×2"),
    "upscale_4x": N_("Upscaled ×4"),
    "vary_subtle": N_("Variation (subtle)"),
    "vary_strong": N_("Variation (strong)"),
    "vary_region": N_("Region varied"),
    "custom_zoom": N_("Zoomed out"),
}


def caption_kind(found: ButtonClass) -> str:
    """The "kind[:number]" bot.captions words a result by (Job.label)."""
    if found.kind is ButtonKind.ZOOM:
        kind = {"2": "zoom_out_2", "1.5": "zoom_out_1.5", "1": "make_square"}.get(found.detail)
        return kind or "zoom_out"
    if found.kind is ButtonKind.PAN:
        return f"pan_{found.detail}"
    if found.kind is ButtonKind.UPSCALE_MORE:
        return f"upscale_{found.detail}"
    if found.kind is ButtonKind.REDO_UPSCALE:
        return f"upscale_{found.detail}"
    if found.kind in (ButtonKind.ANIMATE, ButtonKind.EXTEND):
        return f"{found.kind.value}_{found.detail}"  # the motion; the clip is the parent's
    kind = found.kind.value
    return f"{kind}:{found.index}" if found.index is not None else kind


def key_for(button: Mapping[str, Any], _: Texts) -> tuple[int, Key] | None:
    """The row and key for one of Midjourney's buttons; None for one we do not show."""
    custom_id = str(button.get("custom_id") or "")
    if not custom_id:
        return None
    label = str(button.get("label") or "")
    found = classify(custom_id, label)
    if found.kind in _LEFT_OUT:
        return None
    action = _ACTIONS.get(found.kind, "mj")
    if found.kind is ButtonKind.UNKNOWN:
        # A button Midjourney added after this was written: offered under its own words.
        emoji = button.get("emoji") or ""
        emoji = str(emoji.get("name") or "") if isinstance(emoji, Mapping) else str(emoji)
        shown = " ".join(part for part in (emoji, label.replace("\u200b", "").strip()) if part)
        return _UNKNOWN_ROW, Key(shown or "•", action, custom_id)
    row, template = _KINDS[found.kind]
    shown = _(template).format(
        index=found.index,
        detail=found.detail.removesuffix("x"),
        zoom=_(_ZOOMS.get(found.detail, "🔭")),
        pan=_PANS.get(found.detail, "↔️"),
        redo=_(_REDOS.get(found.detail, "🔁")),
        motion=_(_MOTIONS.get((found.kind, found.detail), "🎞")),
    )
    return row, Key(shown, action, custom_id, caption_kind(found))


def layout(
    buttons: Iterable[Mapping[str, Any]],
    _: Texts,
    *,
    original: bool = False,
    region: bool = False,
) -> list[list[Key]]:
    """Rows of keys for Midjourney's buttons; buttons we cannot drive from Telegram are left out
    (see _LEFT_OUT, and Vary (Region) unless `region`: the Mini App that paints its mask is
    configured); buttons we do not know are offered under Midjourney's label."""
    rows: dict[int, list[Key]] = {}
    for button in buttons:
        found = key_for(button, _)
        if found is not None and (region or found[1].action != "region"):
            row, key = found
            rows.setdefault(row, []).append(key)
    result = [
        keys[start : start + MAX_KEYS_PER_ROW]
        for row in sorted(rows)
        for keys in [rows[row]]
        for start in range(0, len(keys), MAX_KEYS_PER_ROW)
    ]
    if original:
        result.append([Key(_(ORIGINAL), "original")])
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
        return InlineKeyboardButton(key.label, callback_data=ResultButton(token).pack())

    return InlineKeyboardMarkup([[button(key, next(flat_tokens)) for key in row] for row in rows])


def cancel_markup(_: Texts, job_id: int) -> InlineKeyboardMarkup:
    """The keyboard of a status message whose job can be cancelled."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("✖️ Cancel"), callback_data=CancelJob(str(job_id)).pack())]]
    )

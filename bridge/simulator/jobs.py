"""The job buttons: U, V, reroll, vary, zoom, pan and the upscales, and the forms they open.

Each makes a job of the picture the button is on: its picture derives from that one (see
pictures.py). With remix on, variations, pans and reroll open a form for a new prompt first;
Custom Zoom always does (docs/midjourney-on-the-wire.md#forms-modals). Registered for every
`MJ::` button and form that no longer prefix claims, so Settings, Cancel Job, Bookmark and what
new modules add come first.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import TYPE_CHECKING, Any

from bridge.prompts import parse_parameters
from bridge.simulator.buttons import redo_buttons, upscale_buttons
from bridge.simulator.hooks import Turn, on_button, on_modal
from bridge.simulator.model import Kind

if TYPE_CHECKING:
    from bridge.simulator.model import MidjourneyModel

_JOB_BUTTON = re.compile(r"^MJ::(?:JOB::)?(\w+)::(?:(\d+)::)?(?:(\d+)::)?([0-9a-f-]{36})")
_ZOOM = Kind("Zoom Out by ", 4, True, how="zoom")
_SUBTLE = Kind("Upscaled (Subtle) by ", 1, True, redo_buttons, how="upscale2x")
_CREATIVE = Kind("Upscaled (Creative) by ", 1, True, redo_buttons, how="upscale2x")
_SINGLE = Kind("", 1, False, upscale_buttons, how="upscale")
_REMIXABLE = frozenset(
    {"variation", "high_variation", "low_variation", "reroll", "pan_left", "pan_right"}
    | {"pan_up", "pan_down"}
)
_KINDS: dict[str, Kind] = {
    "reroll": Kind("", 4, True),
    "variation": Kind("Variations (Strong) by ", 4, True, how="vary_strong"),
    "high_variation": Kind("Variations (Strong) by ", 4, True, how="vary_strong"),
    "low_variation": Kind("Variations (Subtle) by ", 4, True, how="vary_subtle"),
    "pan_left": Kind("Pan Left by ", 4, True, how="pan"),
    "pan_right": Kind("Pan Right by ", 4, True, how="pan"),
    "pan_up": Kind("Pan Up by ", 4, True, how="pan"),
    "pan_down": Kind("Pan Down by ", 4, True, how="pan"),
    "Outpaint": _ZOOM,
    "CustomZoom": _ZOOM,
    "upsample_v6_2x_subtle": _SUBTLE,
    "upsample_v6_2x_creative": _CREATIVE,
    "upsample_v7_2x_subtle": _SUBTLE,
    "upsample_v7_2x_creative": _CREATIVE,
}
# Outpaint::<n>: the picture keeps n % of the new frame (50: Zoom Out 2x; 100: Make Square).
_ZOOM_FACTORS = {"50": 2.0, "75": 1.5, "100": 1.0}


def _derivation(
    model: MidjourneyModel, action: str, first: str | None, parent: str
) -> dict[str, Any]:
    """Which picture the job starts from and how (pictures.Recipe's fields)."""
    source = model.pictures.get(parent) or next(
        (r["image"] for r in model.results.values() if r["hash"] == parent), None
    )
    if source is None or action == "reroll":
        return {}
    derive: dict[str, Any] = {"source": source}
    # On a grid, U-n and V-n take tile n; on a single picture, the whole picture.
    if action in ("upsample", "variation") and first:
        derive["index"] = int(first)
    if action == "Outpaint":
        derive["factor"] = _ZOOM_FACTORS.get(first or "", 2.0)
    if action.startswith("pan_"):
        derive["side"] = action.removeprefix("pan_")
    return derive


def _modal_for(
    model: MidjourneyModel, action: str, index: str | None, job_hash: str
) -> dict[str, Any] | None:
    """The form Midjourney opens instead of starting a job, if any."""
    if action == "CustomZoom":
        modal_id, field_id = f"MJ::OutpaintCustomZoomModal::{job_hash}", "prompt"
    elif model.remix and action.startswith("pan_"):
        side = action.removeprefix("pan_")
        modal_id, field_id = f"MJ::PanModal::{side}::{job_hash}::1", "prompt"
    elif model.remix and action in _REMIXABLE:
        # The last part is 1 for strong and 0 for subtle variations (#forms-modals).
        strength = "0" if action == "low_variation" else "1"
        modal_id = f"MJ::RemixModal::{job_hash}::{index or 0}::{strength}"
        field_id = "new_prompt"
    else:
        return None
    prefix = modal_id.split("::")[1]
    text_input = {"type": 4, "custom_id": f"MJ::{prefix}::{field_id}", "style": 2}
    return {
        "custom_id": modal_id,
        "title": "Zoom Out" if action == "CustomZoom" else "Remix Prompt",
        "components": [{"type": 1, "components": [text_input]}],
    }


@on_button("MJ::")
async def job_button(model: MidjourneyModel, turn: Turn) -> None:
    """A button on a picture: a job of that picture (or the form that comes first)."""
    match = _JOB_BUTTON.match(turn.custom_id)
    if match is None:
        return
    action, first, _, parent_hash = match.groups()
    prompt = model.prompts.get(parent_hash, "")
    derive = _derivation(model, action, first, parent_hash)
    modal = _modal_for(model, action, first, parent_hash)
    if modal is not None:
        model.modals[turn.interaction_id] = (_KINDS[action], derive)
        await turn.discord.dispatch(
            "INTERACTION_MODAL_CREATE", {**turn.ack, **modal}, audience="users"
        )
        return
    if action == "upsample":
        await _upscale(model, turn, prompt, int(first or 1), derive)
    elif (kind := _KINDS.get(action)) is not None:
        await model.grid(turn, prompt, kind, derive)


async def _upscale(
    model: MidjourneyModel, turn: Turn, prompt: str, index: int, derive: dict[str, Any]
) -> None:
    """U-n: "Image #n", the tile at upscale size, at once (no progress), on a new message."""
    content = f"**{prompt}** - Image #{index} <@{model.user_id}>"
    await asyncio.sleep(model.step_delay / 2)
    reference = str(turn.payload.get("message_id"))
    await model.result(
        turn,
        prompt,
        content,
        _SINGLE,
        model.new_hash(),
        reference=reference,
        nonce=True,
        derive=derive,
    )


@on_modal("MJ::")
async def modal_submitted(model: MidjourneyModel, turn: Turn) -> None:
    """A remix or custom zoom form: the job its button would have made, with the new prompt."""
    data = turn.data
    opened = model.modals.pop(str(data["id"]), None)
    if opened is None:
        return  # a form nobody opened: Discord would refuse it; Midjourney never answers
    kind, derive = opened
    prompt = str(data["components"][0]["components"][0]["value"])
    if kind.how == "zoom":
        # Custom Zoom's factor is the --zoom its prompt carries.
        zooms = [param.value for param in parse_parameters(prompt)[1] if param.name == "zoom"]
        with contextlib.suppress(IndexError, ValueError):
            derive = {**derive, "factor": float(zooms[-1])}
    await model.grid(turn, prompt, kind, derive)

"""Vary (Region): the editor Midjourney opens, and the grid it draws from a painted mask.

Pressing `MJ::Inpaint::1::<uuid>::SOLO` gets INTERACTION_IFRAME_MODAL_CREATE with
`MJ::iframe::<token>`, on the user session only, as Discord does. The mask and prompt later
submitted with that token (by the simulator backend, or by the test suite's fake Activity host)
become a "Variations (Region)" grid answering the upscale: four copies of the picture whose
masked area is repainted in a colour per tile, so the change is plain to see (and to test).
"""

from __future__ import annotations

import asyncio
import io
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PIL import Image

from bridge.simulator.buttons import grid_buttons
from bridge.simulator.hooks import Turn, on_button

if TYPE_CHECKING:
    from bridge.simulator.model import MidjourneyModel

IFRAME_PREFIX = "MJ::iframe::"
_PARENT = re.compile(r"^MJ::Inpaint::\d+::([0-9a-f-]{36})")
_TILE_COLOURS = ((230, 60, 60), (60, 180, 90), (60, 110, 230), (240, 200, 40))


@dataclass
class Editors:
    """The editors open on a model, by token, and what was submitted to them."""

    # A reason here makes the editor refuse every mask with it (a refusal, end to end).
    refuse: str | None = None
    submitted: list[dict[str, Any]] = field(default_factory=list)
    open: dict[str, tuple[Turn, str]] = field(default_factory=dict)  # token -> (press, parent)

    def refusal(self, token: str) -> str | None:
        """Why a mask sent with this token is turned down; None when it is taken."""
        if self.refuse is not None:
            return self.refuse
        if token not in self.open:
            return "This editor session is unknown or has expired."
        return None


def editor_of(model: MidjourneyModel) -> Editors:
    editors = model.state.setdefault(__name__, Editors())
    assert isinstance(editors, Editors)
    return editors


@on_button("MJ::Inpaint::")
async def open_editor(model: MidjourneyModel, turn: Turn) -> None:
    """The button opens the editor: a dispatch with its token, and no message."""
    match = _PARENT.match(turn.custom_id)
    if match is None:
        return
    token = secrets.token_urlsafe(24)
    editor_of(model).open[token] = (turn, match.group(1))
    frame = {
        **turn.ack,
        "channel_id": turn.channel_id,
        "custom_id": f"{IFRAME_PREFIX}{token}",
        "title": "Vary (Region)",
        "iframe_path": "/inpaint/index.html",
    }
    await turn.discord.dispatch("INTERACTION_IFRAME_MODAL_CREATE", frame, audience="users")


async def submit(model: MidjourneyModel, token: str, mask_png: bytes, prompt: str) -> None:
    """Run the job of a taken mask (refusal() said None): progress, then the grid."""
    editors = editor_of(model)
    turn, parent_hash = editors.open.pop(token)
    editors.submitted.append({"token": token, "mask": mask_png, "prompt": prompt})
    discord, channel_id = turn.discord, turn.channel_id
    prompt = prompt or model.prompts.get(parent_hash, "")
    head = f"**{prompt}** - Variations (Region) by <@{model.user_id}>"
    mode = model.mode(prompt)
    waiting = model.message(turn, f"{head} (Waiting to start)")
    progress = await discord.create_message(channel_id, waiting)
    parent = next((r["image"] for r in model.results.values() if r["hash"] == parent_hash), None)
    picture = await asyncio.to_thread(redraw, parent, mask_png)
    for percent in model.steps:
        await asyncio.sleep(turn.delay)
        await discord.update_message(progress["id"], {"content": f"{head} ({percent}%) ({mode})"})
    await asyncio.sleep(turn.delay)
    job_hash = str(uuid.uuid4())
    model.prompts[job_hash] = prompt
    filename = f"mjuser_region_{job_hash}.png"
    url = discord.put_cdn(filename, picture)
    result = model.message(turn, f"{head} ({mode})")
    result["attachments"] = [
        {
            "id": discord.new_id(),
            "filename": filename,
            "size": len(picture),
            "url": url,
            "proxy_url": url,
            "content_type": "image/png",
        }
    ]
    result["components"] = grid_buttons(job_hash)
    # Every derived result answers the message whose button was pressed.
    reference_id = turn.payload.get("message_id")
    result["message_reference"] = {"type": 0, "message_id": reference_id, "channel_id": channel_id}
    sent = await discord.create_message(channel_id, result)
    model.results[f"region:{token}"] = {"message": sent, "image": picture, "hash": job_hash}
    await discord.delete_message(progress["id"])


def redraw(picture: bytes | None, mask_png: bytes) -> bytes:
    """A 2x2 grid of the picture, its masked area filled with another colour in each tile."""
    with Image.open(io.BytesIO(mask_png)) as loaded:
        mask = loaded.convert("L")
    if picture is None:
        base = Image.new("RGB", mask.size, "grey")
    else:
        with Image.open(io.BytesIO(picture)) as loaded:
            base = loaded.convert("RGB").resize(mask.size)
    width, height = mask.size
    grid = Image.new("RGB", (width * 2, height * 2))
    for n, colour in enumerate(_TILE_COLOURS):
        tile = base.copy()
        tile.paste(colour, (0, 0, width, height), mask)
        grid.paste(tile, ((n % 2) * width, (n // 2) * height))
    out = io.BytesIO()
    grid.save(out, "PNG")
    return out.getvalue()

"""Midjourney's model: the account's knobs and state, imagine, the job buttons and their forms.

Other behaviours (account commands, /describe, /shorten, and whatever a new module adds) plug
in through the tables of `bridge/simulator/hooks.py`.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.constants import FLAG_EPHEMERAL
from bridge.prompts import parse_parameters
from bridge.simulator import hooks
from bridge.simulator.buttons import (
    grid_buttons,
    job_page,
    progress_buttons,
    redo_buttons,
    upscale_buttons,
)
from bridge.simulator.channel import MIDJOURNEY_AUTHOR, Channel
from bridge.simulator.hooks import Turn
from bridge.simulator.pictures import render

_JOB_BUTTON = re.compile(r"^MJ::(?:JOB::)?(\w+)::(?:(\d+)::)?(?:(\d+)::)?([0-9a-f-]{36})")
# Discord's "Midjourney Bot is thinking..." flag on a deferred answer, edited into the real one.
_FLAG_LOADING = 128
MODE_WORDS = {"fast": "fast", "relax": "relaxed", "turbo": "turbo"}


def option(data: dict[str, Any], name: str) -> str:
    """A slash command's option value by name, "" when it was not sent."""
    for item in data.get("options") or ():
        if item.get("name") == name:
            return str(item.get("value", ""))
    return ""


@dataclass
class Kind:
    """What a button (or /imagine) makes, as Midjourney words it."""

    label: str  # the part between the prompt and the mention
    tiles: int
    progress: bool
    buttons: Callable[[str], list[dict[str, Any]]] = grid_buttons  # under the result


IMAGINE = Kind("", 4, True)
_ZOOM = Kind("Zoom Out by ", 4, True)
_SUBTLE = Kind("Upscaled (Subtle) by ", 1, True, redo_buttons)
_CREATIVE = Kind("Upscaled (Creative) by ", 1, True, redo_buttons)
_REMIXABLE = frozenset(
    {"variation", "high_variation", "low_variation", "reroll", "pan_left", "pan_right"}
    | {"pan_up", "pan_down"}
)
_BUTTON_KINDS: dict[str, Kind] = {
    "reroll": Kind("", 4, True),
    "variation": Kind("Variations (Strong) by ", 4, True),
    "high_variation": Kind("Variations (Strong) by ", 4, True),
    "low_variation": Kind("Variations (Subtle) by ", 4, True),
    "pan_left": Kind("Pan Left by ", 4, True),
    "pan_right": Kind("Pan Right by ", 4, True),
    "pan_up": Kind("Pan Up by ", 4, True),
    "pan_down": Kind("Pan Down by ", 4, True),
    "Outpaint": Kind("Zoom Out by ", 4, True),
    "upsample_v6_2x_subtle": _SUBTLE,
    "upsample_v6_2x_creative": _CREATIVE,
    "upsample_v7_2x_subtle": _SUBTLE,
    "upsample_v7_2x_creative": _CREATIVE,
}


@dataclass
class MidjourneyModel:
    """Midjourney as seen from a channel. Knobs let tests provoke its behaviours."""

    step_delay: float = 1.5
    steps: tuple[int, ...] = (15, 46, 78)
    image_size: int = 1024
    user_id: str = "6000"
    # Prompts containing one of these words never finish (tests of the timeout).
    hang_words: set[str] = field(default_factory=set)
    # Prompts containing a key get that error embed (title, description) instead of a result.
    error_words: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Fixed image bytes for every result (benchmarks); None draws a placeholder.
    fixed_image: bytes | None = None
    # Step delays for the next interactions, consumed in order (tests that reorder jobs).
    next_delays: list[float] = field(default_factory=list)
    # Remix mode: variation, pan and reroll buttons open a form for a new prompt first.
    remix: bool = False
    # Errors as "only you can see this" messages, which a listener bot never receives.
    ephemeral_errors: bool = False
    # Prompts containing one of these words get INTERACTION_FAILURE and nothing else.
    refuse_words: set[str] = field(default_factory=set)
    # The account, as /info shows it and /fast, /relax, /turbo change it.
    job_mode: str = "fast"
    plan: str = "Standard (Active monthly)"
    fast_hours: tuple[float, float] = (12.3, 15.0)  # left, of the month's
    seed: int = 1
    # What tests read: every payload, the running count and its peak, results by nonce.
    interactions: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    max_in_flight_by_channel: dict[str, int] = field(default_factory=dict)
    _in_flight_by_channel: dict[str, int] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    prompts: dict[str, str] = field(default_factory=dict)  # job hash -> prompt
    # What the modules of hooks.py keep per model, under their module's name.
    state: dict[str, Any] = field(default_factory=dict)
    # Finished grids carry the nonce too: Discord may send it on every message since 2025
    # (midjourney-2026.md 1.2, inferred), so both ways are modelled.
    final_nonce: bool = False
    # Jobs (by hash) whose Cancel Job was pressed: they stop at their next step.
    cancelled: set[str] = field(default_factory=set)
    _modals: dict[str, Kind] = field(default_factory=dict)  # open form's interaction -> kind
    _nonces: set[str] = field(default_factory=set)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    async def on_interaction(self, payload: dict[str, Any], discord: Channel) -> None:
        self.interactions.append(payload)
        if payload["nonce"] in self._nonces:
            return  # Discord drops an interaction whose nonce it has seen (formats a.8)
        self._nonces.add(payload["nonce"])
        channel = str(payload.get("channel_id"))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._in_flight_by_channel[channel] = self._in_flight_by_channel.get(channel, 0) + 1
        self.max_in_flight_by_channel[channel] = max(
            self.max_in_flight_by_channel.get(channel, 0), self._in_flight_by_channel[channel]
        )
        try:
            await self._answer(payload, discord)
        finally:
            self.in_flight -= 1
            self._in_flight_by_channel[channel] -= 1

    async def _answer(self, payload: dict[str, Any], discord: Channel) -> None:
        nonce = str(payload["nonce"])
        interaction_id = discord.new_id()
        ack = {"id": interaction_id, "nonce": nonce}
        await discord.dispatch("INTERACTION_CREATE", ack, audience="users")
        if any(word in json.dumps(payload["data"]) for word in self.refuse_words):
            await discord.dispatch("INTERACTION_FAILURE", ack, audience="users")
            return
        await discord.dispatch("INTERACTION_SUCCESS", ack, audience="users")
        meta = {"id": interaction_id, "type": payload["type"], "user": self.user()}
        delay = self.next_delays.pop(0) if self.next_delays else self.step_delay
        turn = Turn(discord, payload, interaction_id, ack, meta, delay)
        if payload["type"] == 5:
            handler = hooks.by_prefix(hooks.MODALS, turn.custom_id) or _modal_submitted
        elif payload["type"] == 2:
            handler = hooks.COMMANDS.get(str(turn.data["name"]), _imagine)
        else:
            handler = hooks.by_prefix(hooks.BUTTONS, turn.custom_id) or _job_button
        await handler(self, turn)

    def mode(self, prompt: str) -> str:
        """How the job runs: a --fast/--relax/--turbo in the prompt, else the account's mode."""
        names = {param.name for param in parse_parameters(prompt)[1]}
        for flag in ("relax", "turbo", "fast"):
            if flag in names:
                return MODE_WORDS[flag]
        return MODE_WORDS[self.job_mode]

    def user(self) -> dict[str, Any]:
        # Full user objects, as Discord sends them: discord.py refuses partial ones.
        return {
            "id": self.user_id,
            "username": "mjuser",
            "discriminator": "0",
            "avatar": None,
            "global_name": "mjuser",
        }

    def message(self, turn: Turn, content: str) -> dict[str, Any]:
        """A message of Midjourney's in answer to `turn`, without attachments or buttons."""
        return {
            "channel_id": turn.channel_id,
            "author": MIDJOURNEY_AUTHOR,
            "content": content,
            "attachments": [],
            "embeds": [],
            "components": [],
            "flags": 0,
            "type": 20 if turn.meta["type"] == 2 else 19,
            "interaction_metadata": turn.meta,
        }

    async def deferred(self, turn: Turn, flags: int, answer: dict[str, Any]) -> dict[str, Any]:
        """Answer like a slow command: "thinking..." first, then edited into `answer`."""
        thinking = self.message(turn, "")
        thinking.update(nonce=turn.nonce, flags=flags | _FLAG_LOADING)
        created = await turn.discord.create_message(turn.channel_id, thinking)
        return await turn.discord.update_message(created["id"], {"flags": flags, **answer})

    def new_hash(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    async def grid(self, turn: Turn, prompt: str, kind: Kind) -> None:
        """A job with progress: Waiting to start, percentages, the result, the progress gone.

        The progress message carries Cancel Job; once it is pressed the job stops at its next
        step and the progress message ends "(Stopped)" (midjourney-2026.md 6.3, inferred).
        """
        discord, channel_id, delay = turn.discord, turn.channel_id, turn.delay
        head = f"**{prompt}** - {kind.label}<@{self.user_id}>"
        mode = self.mode(prompt)
        for word, (title, description) in self.error_words.items():
            if word in prompt:
                await asyncio.sleep(delay)  # moderation takes Midjourney a moment too
                error = self.message(turn, "")
                error["embeds"] = [{"title": title, "description": description, "color": 0xFF0000}]
                error["nonce"] = turn.nonce
                error["flags"] = FLAG_EPHEMERAL if self.ephemeral_errors else 0
                await discord.create_message(channel_id, error)
                return
        job_hash = self.new_hash()
        first = self.message(turn, f"{head} (Waiting to start)")
        first["nonce"] = turn.nonce
        first["components"] = progress_buttons(job_hash)
        progress = await discord.create_message(channel_id, first)
        if any(word in prompt for word in self.hang_words):
            return
        for percent in (*(self.steps if kind.progress else ()), None):
            await asyncio.sleep(delay)
            if job_hash in self.cancelled:
                stopped = {"content": f"{head} (Stopped)", "components": []}
                await discord.update_message(progress["id"], stopped)
                return
            if percent is not None:
                await discord.update_message(
                    progress["id"], {"content": f"{head} ({percent}%) ({mode})"}
                )
        # A button's result answers the message it is on; imagine's, its progress message.
        pressed = turn.payload.get("message_id") or progress["id"]
        web = f"[(Open on website for full quality)](<{job_page(job_hash)}>) "
        content = f"{head} {web if kind.tiles > 1 else ''}({mode})"
        await self.result(
            turn, prompt, content, kind, job_hash, reference=str(pressed), nonce=self.final_nonce
        )
        await discord.delete_message(progress["id"])

    async def _upscale(self, turn: Turn, prompt: str, index: int) -> None:
        content = f"**{prompt}** - Image #{index} <@{self.user_id}>"
        await asyncio.sleep(self.step_delay / 2)
        solo = Kind("", 1, False, upscale_buttons)
        reference = str(turn.payload.get("message_id"))
        await self.result(
            turn, prompt, content, solo, self.new_hash(), reference=reference, nonce=True
        )

    async def result(
        self,
        turn: Turn,
        prompt: str,
        content: str,
        kind: Kind,
        job_hash: str,
        *,
        reference: str,
        nonce: bool,
    ) -> dict[str, Any]:
        """The finished message: a new id, the picture (a WebP grid, a PNG single) and its
        buttons, a reply to `reference`; with the nonce when `nonce`."""
        discord = turn.discord
        self.prompts[job_hash] = prompt
        data = self.fixed_image
        if data is None:
            data = await asyncio.to_thread(
                render,
                prompt,
                job_hash,
                tiles=kind.tiles,
                size=self.image_size // (2 if kind.tiles == 1 else 1),
            )
        webp = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
        slug = re.sub(r"[^a-z0-9]+", "_", prompt.lower())[:40].strip("_") or "image"
        filename = f"mjuser_{slug}_{job_hash}.{'webp' if webp else 'png'}"
        content_type = "image/webp" if webp else "image/png"
        url = discord.put_cdn(filename, data, content_type)
        created = self.message(turn, content)
        created["attachments"] = [
            {
                "id": discord.new_id(),
                "filename": filename,
                "size": len(data),
                "url": url,
                "proxy_url": url,
                "content_type": content_type,
            }
        ]
        created["components"] = kind.buttons(job_hash)
        if nonce:
            created["nonce"] = turn.nonce
        created["message_reference"] = {
            "type": 0,
            "message_id": reference,
            "channel_id": turn.channel_id,
        }
        sent = await discord.create_message(turn.channel_id, created)
        self.results[turn.nonce] = {"message": sent, "image": data, "hash": job_hash}
        return sent

    def _modal_for(self, action: str, index: str | None, job_hash: str) -> dict[str, Any] | None:
        """The form Midjourney opens instead of starting a job (formats a.6), if any."""
        if action == "CustomZoom":
            modal_id, field_id = f"MJ::OutpaintCustomZoomModal::{job_hash}", "prompt"
        elif self.remix and action.startswith("pan_"):
            side = action.removeprefix("pan_")
            modal_id, field_id = f"MJ::PanModal::{side}::{job_hash}::1", "prompt"
        elif self.remix and action in _REMIXABLE:
            # The last part is 1 for strong and 0 for subtle variations (a.6).
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


async def _imagine(model: MidjourneyModel, turn: Turn) -> None:
    """/imagine, and /blend, which Midjourney shows as an imagine of the images' short links."""
    data = turn.data
    images = turn.uploads()
    if data["name"] == "blend":
        links = " ".join(f"<https://s.mj.run/{image['id']}>" for image in images)
        prompt = " ".join(filter(None, [links, option(data, "dimensions")]))
    else:
        prompt = option(data, "prompt")
    await model.grid(turn, prompt, IMAGINE)


async def _job_button(model: MidjourneyModel, turn: Turn) -> None:
    """U, V, reroll, vary, zoom, pan and the upscales: a job of the picture the button is on."""
    match = _JOB_BUTTON.match(turn.custom_id)
    if match is None:
        return
    action, first, _, parent_hash = match.groups()
    prompt = model.prompts.get(parent_hash, "")
    modal = model._modal_for(action, first, parent_hash)
    if modal is not None:
        model._modals[turn.interaction_id] = (
            _ZOOM if action == "CustomZoom" else _BUTTON_KINDS[action]
        )
        await turn.discord.dispatch(
            "INTERACTION_MODAL_CREATE", {**turn.ack, **modal}, audience="users"
        )
        return
    if action == "upsample":
        await model._upscale(turn, prompt, int(first or 1))
    elif (kind := _BUTTON_KINDS.get(action)) is not None:
        await model.grid(turn, prompt, kind)


async def _modal_submitted(model: MidjourneyModel, turn: Turn) -> None:
    """A remix or custom zoom form: the job its button would have made, with the new prompt."""
    data = turn.data
    kind = model._modals.pop(str(data["id"]), None)
    if kind is None:
        return  # a form nobody opened: Discord would refuse it; Midjourney never answers
    prompt = str(data["components"][0]["components"][0]["value"])
    await model.grid(turn, prompt, kind)

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
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.constants import FLAG_EPHEMERAL
from bridge.prompts import parse_parameters
from bridge.simulator import hooks
from bridge.simulator.buttons import (
    grid_buttons,
    job_page,
    progress_buttons,
)
from bridge.simulator.channel import MIDJOURNEY_AUTHOR, Channel
from bridge.simulator.hooks import Turn
from bridge.simulator.pictures import How, Recipe, render
from bridge.simulator.previews import PREVIEW_FROM, preview_attachment, preview_side

_MAX_PICTURES = 200
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
    how: How = "new"  # how its picture derives from the one the button is on (pictures.py)


IMAGINE = Kind("", 4, True)


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
    # Progress edits from PREVIEW_FROM % carry a preview of the picture, as captured in 2026
    # (bridge/simulator/previews.py); off, they carry none, as in some older captures.
    previews: bool = True
    # Finished grids carry the nonce too: Discord may send it on every message since 2025
    # (inferred: docs/midjourney-on-the-wire.md#nonces), so both ways are modelled.
    final_nonce: bool = False
    # Jobs (by hash) whose Cancel Job was pressed: they stop at their next step.
    cancelled: set[str] = field(default_factory=set)
    # Open forms: the interaction that opened one -> the job it makes and its derivation.
    modals: dict[str, tuple[Kind, dict[str, Any]]] = field(default_factory=dict)
    # Recent results' pictures by job hash: what a button's job derives from.
    pictures: OrderedDict[str, bytes] = field(default_factory=OrderedDict)
    _nonces: set[str] = field(default_factory=set)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    async def on_interaction(self, payload: dict[str, Any], discord: Channel) -> None:
        self.interactions.append(payload)
        if payload["nonce"] in self._nonces:
            return  # Discord drops an interaction whose nonce it has seen (inferred: #nonces)
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
            handler = hooks.by_prefix(hooks.MODALS, turn.custom_id)
        elif payload["type"] == 2:
            handler = hooks.COMMANDS.get(str(turn.data["name"]), _imagine)
        else:
            handler = hooks.by_prefix(hooks.BUTTONS, turn.custom_id)
        if handler is not None:  # else Midjourney ignores it, as it does what it does not know
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

    def seed_of(self, prompt: str, job_hash: str) -> str:
        """The prompt's --seed, which repeats a grid; else the job's own, a new one each run."""
        seeds = [param.value for param in parse_parameters(prompt)[1] if param.name == "seed"]
        return f"seed {seeds[-1]}" if seeds else job_hash

    def new_hash(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def recipe(
        self, prompt: str, kind: Kind, job_hash: str, derive: Mapping[str, Any] | None
    ) -> Recipe:
        """What the job's picture is drawn from (its previews too)."""
        seed = self.seed_of(prompt, job_hash)
        return Recipe(prompt, seed, kind.tiles, self.image_size, kind.how, **(derive or {}))

    async def grid(
        self, turn: Turn, prompt: str, kind: Kind, derive: Mapping[str, Any] | None = None
    ) -> None:
        """A job with progress: Waiting to start, percentages, the result, the progress gone.

        The progress message carries Cancel Job; once it is pressed the job stops at its next
        step and the progress message ends "(Stopped)" (inferred: nobody has captured it; see
        docs/midjourney-on-the-wire.md#cancel-job).
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
                changes: dict[str, Any] = {"content": f"{head} ({percent}%) ({mode})"}
                if self.previews and percent >= PREVIEW_FROM:
                    recipe = self.recipe(prompt, kind, job_hash, derive)
                    side = preview_side(self.image_size)
                    changes["attachments"] = [
                        await preview_attachment(
                            discord, job_hash, recipe, percent, side, self.fixed_image
                        )
                    ]
                await discord.update_message(progress["id"], changes)
        # A button's result answers the message it is on; imagine's, its progress message.
        pressed = turn.payload.get("message_id") or progress["id"]
        web = f"[(Open on website for full quality)](<{job_page(job_hash)}>) "
        content = f"{head} {web if kind.tiles > 1 else ''}({mode})"
        await self.result(
            turn,
            prompt,
            content,
            kind,
            job_hash,
            reference=str(pressed),
            nonce=self.final_nonce,
            derive=derive,
        )
        await discord.delete_message(progress["id"])

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
        derive: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The finished message: a new id, the picture (a WebP grid, a PNG single) and its
        buttons, a reply to `reference`; with the nonce when `nonce`."""
        discord = turn.discord
        self.prompts[job_hash] = prompt
        data = self.fixed_image
        if data is None:
            data = await asyncio.to_thread(render, self.recipe(prompt, kind, job_hash, derive))
        self.pictures[job_hash] = data
        while len(self.pictures) > _MAX_PICTURES:
            self.pictures.popitem(last=False)
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


async def _imagine(model: MidjourneyModel, turn: Turn) -> None:
    """/imagine, and /blend, which Midjourney shows as an imagine of the images' short links."""
    data = turn.data
    images = turn.uploads()
    if data["name"] == "blend":
        links = " ".join(f"<https://s.mj.run/{image['id']}>" for image in images)
        prompt = " ".join(filter(None, [links, option(data, "dimensions")]))
        urls = [image["url"] for image in images]
    else:
        prompt = option(data, "prompt")
        urls = [word.strip("<>") for word in parse_parameters(prompt)[0].split()]
    # The user's pictures (a blend's, an image prompt's links) are where its grid starts.
    found = [turn.discord.cdn_bytes(url) for url in urls if "://" in url]
    pictures = tuple(picture for picture in found if picture is not None)
    await model.grid(turn, prompt, IMAGINE, {"pictures": pictures} if pictures else None)

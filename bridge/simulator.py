"""A model of Midjourney's behaviour in a Discord channel, and the simulator backend built on it.

`MidjourneyModel` answers interaction payloads with Midjourney-shaped messages (midjourney-formats
.md sections b, c.2, c.4): "Waiting to start" carrying the nonce, progress edits of that message,
a final message with a new id, a PNG and the real button custom_ids, then deletion of the progress
message. It writes through a `Channel`: the simulator backend below is one, the test suite's fake
Discord server is another, so the bot is exercised against the same shapes either way.

Besides pictures it answers the account commands (a.5, c.6, e): /shorten (an embed of keycap
lines, filled in by an edit), /info (an ephemeral "Your info" embed), /fast, /relax and /turbo
("Done! ..."), /prefer remix ("Remix mode turned on/off") and /settings (an ephemeral message
whose buttons toggle remix and the speed; style 3 marks what is on). The account's state (mode,
remix) is kept here, so a switch shows in later results: `(relaxed)` after /relax.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import random
import re
import textwrap
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from PIL import Image, ImageDraw, ImageFont

from bridge.backend import EventSink
from bridge.constants import FALLBACK_COMMANDS, FLAG_EPHEMERAL, MIDJOURNEY_APP_ID
from bridge.errors import DiscordHTTPError
from bridge.interactions import Command, Interaction, Place, Upload, payload
from bridge.parser import parse

_log = logging.getLogger(__name__)


class Channel(Protocol):
    """What the model needs from Discord."""

    def new_id(self) -> str: ...

    def put_cdn(self, filename: str, data: bytes, content_type: str = "image/png") -> str: ...

    async def create_message(self, channel_id: str, data: dict[str, Any]) -> dict[str, Any]: ...

    async def update_message(self, message_id: str, changes: dict[str, Any]) -> dict[str, Any]: ...

    async def delete_message(self, message_id: str) -> None: ...

    async def dispatch(
        self, event: str, data: dict[str, Any], *, audience: str = "all"
    ) -> None: ...


# -- pictures -----------------------------------------------------------------------------------


def _colour(seed: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(seed.encode()).digest()
    return (64 + digest[0] % 160, 64 + digest[1] % 160, 64 + digest[2] % 160)


def render(prompt: str, job_hash: str, *, tiles: int, size: int) -> bytes:
    """A placeholder PNG: `tiles` 1 (an upscale) or 4 (a 2x2 grid), each showing the prompt."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    per_row = 1 if tiles == 1 else 2
    tile = size // per_row
    font = ImageFont.load_default(size=max(12, tile // 14))
    text = "\n".join(textwrap.wrap(prompt, width=22)[:6])
    for n in range(tiles):
        x, y = (n % per_row) * tile, (n // per_row) * tile
        draw.rectangle((x, y, x + tile - 1, y + tile - 1), fill=_colour(f"{job_hash}{n}"))
        draw.multiline_text((x + tile // 12, y + tile // 12), text, fill="white", font=font)
        if tiles > 1:
            draw.text((x + tile - tile // 6, y + tile - tile // 6), str(n + 1), font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# -- buttons ------------------------------------------------------------------------------------


def _button(custom_id: str, label: str = "", emoji: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": 2, "style": 2, "custom_id": custom_id, "label": label}
    if emoji:
        button["emoji"] = {"name": emoji}
    return button


def _rows(*rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": 1, "components": row} for row in rows]


def grid_buttons(job_hash: str) -> list[dict[str, Any]]:
    ups = [_button(f"MJ::JOB::upsample::{n}::{job_hash}", f"U{n}") for n in range(1, 5)]
    reroll = _button(f"MJ::JOB::reroll::0::{job_hash}::SOLO", emoji="🔄")
    variations = [_button(f"MJ::JOB::variation::{n}::{job_hash}", f"V{n}") for n in range(1, 5)]
    return _rows([*ups, reroll], variations)


def upscale_buttons(job_hash: str) -> list[dict[str, Any]]:
    solo = f"1::{job_hash}::SOLO"
    return _rows(
        [
            _button(f"MJ::JOB::upsample_v6_2x_subtle::{solo}", "Upscale (Subtle)"),
            _button(f"MJ::JOB::upsample_v6_2x_creative::{solo}", "Upscale (Creative)"),
        ],
        [
            _button(f"MJ::JOB::low_variation::{solo}", "Vary (Subtle)"),
            _button(f"MJ::JOB::high_variation::{solo}", "Vary (Strong)"),
            _button(f"MJ::Inpaint::{solo}", "Vary (Region)"),
        ],
        [
            _button(f"MJ::Outpaint::50::{solo}", "Zoom Out 2x"),
            _button(f"MJ::Outpaint::75::{solo}", "Zoom Out 1.5x"),
            _button(f"MJ::CustomZoom::{job_hash}", "Custom Zoom"),
        ],
        [
            _button(f"MJ::JOB::pan_{side}::{solo}", emoji=arrow)
            for side, arrow in (("left", "⬅️"), ("right", "➡️"), ("up", "⬆️"), ("down", "⬇️"))
        ],
    )


# -- the model ----------------------------------------------------------------------------------

MIDJOURNEY_AUTHOR: dict[str, Any] = {
    "id": MIDJOURNEY_APP_ID,
    "username": "Midjourney Bot",
    "discriminator": "9282",
    "avatar": None,
    "global_name": None,
    "bot": True,
}

_JOB_BUTTON = re.compile(r"^MJ::(?:JOB::)?(\w+)::(?:(\d+)::)?(?:(\d+)::)?([0-9a-f-]{36})")
# Discord's "Midjourney Bot is thinking..." flag on a deferred answer, edited into the real one.
_FLAG_LOADING = 128
_MODE_WORDS = {"fast": "fast", "relax": "relaxed", "turbo": "turbo"}
_MODE_REPLIES = {
    "fast": "Done! Your jobs now use fast-hours. You can always switch back with /relax",
    "relax": "Done! Your jobs now do not consume fast-hours, but might take a little longer. "
    "You can always switch back with /fast",
    "turbo": "Done! Turbo mode is on: your jobs run faster and use twice the fast-hours. "
    "You can always switch back with /fast",
}
# Our own ids for the /settings buttons; real clients read them from the message (formats b).
_SETTINGS_BUTTONS = (
    ("MJ::Settings::RemixMode", "Remix mode"),
    ("MJ::Settings::FastMode", "Fast mode"),
    ("MJ::Settings::RelaxMode", "Relax mode"),
    ("MJ::Settings::TurboMode", "Turbo mode"),
    ("MJ::Settings::ResetSettings", "Reset Settings"),
)
_PARAMS_TAIL = re.compile(r"(?:^|\s)--[a-z].*$", re.IGNORECASE | re.DOTALL)


def shortened(prompt: str) -> list[str]:
    """What /shorten suggests for a prompt: its comma phrases, fewer and fewer, then its words."""
    text = _PARAMS_TAIL.sub("", prompt)
    phrases = [" ".join(part.split()) for part in text.split(",") if part.strip()]
    words = " ".join(phrases).split()
    candidates = [", ".join(phrases[:n]) for n in range(len(phrases), 0, -1)]
    candidates += [" ".join(words[:n]) for n in (8, 5, 3) if n < len(words)]
    return list(dict.fromkeys(candidates))[:5] or [" ".join(prompt.split())]


def _option(data: dict[str, Any], name: str) -> str:
    """A slash command's option value by name, "" when it was not sent."""
    for option in data.get("options") or ():
        if option.get("name") == name:
            return str(option.get("value", ""))
    return ""


@dataclass
class _Kind:
    """What a button (or /imagine) makes, as Midjourney words it."""

    label: str  # the part between the prompt and the mention
    tiles: int
    progress: bool


_IMAGINE = _Kind("", 4, True)
_ZOOM = _Kind("Zoom Out by ", 4, True)
_REMIXABLE = frozenset(
    {"variation", "high_variation", "low_variation", "reroll", "pan_left", "pan_right"}
    | {"pan_up", "pan_down"}
)
_BUTTON_KINDS: dict[str, _Kind] = {
    "reroll": _Kind("", 4, True),
    "variation": _Kind("Variations (Strong) by ", 4, True),
    "high_variation": _Kind("Variations (Strong) by ", 4, True),
    "low_variation": _Kind("Variations (Subtle) by ", 4, True),
    "pan_left": _Kind("Pan Left by ", 4, True),
    "pan_right": _Kind("Pan Right by ", 4, True),
    "pan_up": _Kind("Pan Up by ", 4, True),
    "pan_down": _Kind("Pan Down by ", 4, True),
    "Outpaint": _Kind("Zoom Out by ", 4, True),
    "upsample_v6_2x_subtle": _Kind("Upscaled (Subtle) by ", 1, True),
    "upsample_v6_2x_creative": _Kind("Upscaled (Creative) by ", 1, True),
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
    _prompts: dict[str, str] = field(default_factory=dict)  # job hash -> prompt
    _modals: dict[str, _Kind] = field(default_factory=dict)  # open form's interaction -> kind
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
        meta = {"id": interaction_id, "type": payload["type"], "user": self._user()}
        delay = self.next_delays.pop(0) if self.next_delays else self.step_delay
        data = payload["data"]
        channel_id = str(payload["channel_id"])
        if payload["type"] == 5:
            await self._modal_submitted(discord, channel_id, nonce, meta, data, delay)
            return
        if payload["type"] == 2:
            await self._command(discord, channel_id, nonce, meta, data, delay)
            return
        custom_id = str(data.get("custom_id", ""))
        if custom_id.startswith("MJ::Settings::"):
            await self._settings_pressed(discord, custom_id, str(payload.get("message_id")))
            return
        match = _JOB_BUTTON.match(custom_id)
        if match is None:
            return
        action, first, _, parent_hash = match.groups()
        prompt = self._prompts.get(parent_hash, "")
        modal = self._modal_for(action, first, parent_hash)
        if modal is not None:
            self._modals[interaction_id] = (
                _ZOOM if action == "CustomZoom" else _BUTTON_KINDS[action]
            )
            await discord.dispatch("INTERACTION_MODAL_CREATE", {**ack, **modal}, audience="users")
            return
        if action == "upsample":
            index = int(first or 1)
            await self._upscale(discord, channel_id, nonce, meta, prompt, index, payload)
        elif (kind := _BUTTON_KINDS.get(action)) is not None:
            await self._grid(discord, channel_id, nonce, meta, prompt, kind, delay)

    async def _command(
        self,
        discord: Channel,
        channel_id: str,
        nonce: str,
        meta: dict[str, Any],
        data: dict[str, Any],
        delay: float,
    ) -> None:
        """A slash command (type 2), told apart by its name."""
        name = str(data["name"])
        if name in ("info", "fast", "relax", "turbo", "prefer", "settings"):
            await self._account(discord, channel_id, nonce, meta, name, data)
            return
        if name == "shorten":
            await self._shorten(discord, channel_id, nonce, meta, _option(data, "prompt"), delay)
            return
        images = [
            discord.attachment_for_upload(a["uploaded_filename"]) for a in data["attachments"]
        ]
        if name == "describe":
            await self._describe(discord, channel_id, nonce, meta, images[0], delay)
            return
        if name == "blend":
            # Midjourney shows a blend as an imagine of the images' short links.
            links = " ".join(f"<https://s.mj.run/{image['id']}>" for image in images)
            prompt = " ".join(filter(None, [links, _option(data, "dimensions")]))
        else:
            prompt = _option(data, "prompt")
        await self._grid(discord, channel_id, nonce, meta, prompt, _IMAGINE, delay)

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

    async def _modal_submitted(
        self,
        discord: Channel,
        channel_id: str,
        nonce: str,
        meta: dict[str, Any],
        data: dict[str, Any],
        delay: float,
    ) -> None:
        kind = self._modals.pop(str(data["id"]), None)
        if kind is None:
            return  # a form nobody opened: Discord would refuse it; Midjourney never answers
        prompt = str(data["components"][0]["components"][0]["value"])
        await self._grid(discord, channel_id, nonce, meta, prompt, kind, delay)

    # -- account commands (formats c.6, e) --

    async def _deferred(
        self,
        discord: Channel,
        channel_id: str,
        nonce: str,
        meta: dict[str, Any],
        flags: int,
        answer: dict[str, Any],
    ) -> dict[str, Any]:
        """Answer like a slow command: "thinking..." first, then edited into `answer`."""
        thinking = self._base(channel_id, meta, "")
        thinking.update(nonce=nonce, flags=flags | _FLAG_LOADING)
        message = await discord.create_message(channel_id, thinking)
        return await discord.update_message(message["id"], {"flags": flags, **answer})

    async def _account(
        self,
        discord: Channel,
        channel_id: str,
        nonce: str,
        meta: dict[str, Any],
        name: str,
        data: dict[str, Any],
    ) -> None:
        """/info, /fast, /relax, /turbo, /prefer remix and /settings: ephemeral answers."""
        answer: dict[str, Any]
        if name == "info":
            answer = {"embeds": [self._info_embed()]}
        elif name == "settings":
            answer = self._settings_message()
        elif name == "prefer":
            if not any(option.get("name") == "remix" for option in data.get("options") or ()):
                return  # other preferences are not modelled: Midjourney would answer, we don't
            self.remix = not self.remix
            state, other = ("on", "disable") if self.remix else ("off", "enable")
            answer = {
                "content": f"Remix mode turned {state}! You can {other} it by running "
                "`/prefer remix` again."
            }
        else:
            self.job_mode = name
            answer = {"content": _MODE_REPLIES[name]}
        await self._deferred(discord, channel_id, nonce, meta, FLAG_EPHEMERAL, answer)

    def _info_embed(self) -> dict[str, Any]:
        left, total = self.fast_hours
        running = max(0, self.in_flight - 1)  # this /info is in flight too
        lines = {
            "Subscription": self.plan,
            "Job Mode": {"fast": "Fast", "relax": "Relaxed", "turbo": "Turbo"}[self.job_mode],
            "Visibility Mode": "Public",
            "Fast Time Remaining": f"{left:.1f}/{total:.1f} hours ({round(100 * left / total)}%)",
            "Lifetime Usage": f"{len(self._prompts)} images",
            "Relaxed Usage": "0 images (0.00 hours)",
            "Queued Jobs (fast)": "0",
            "Queued Jobs (relax)": "0",
            "Running Jobs": str(running) if running else "None",
        }
        description = "\n".join(f"**{key}**: {value}" for key, value in lines.items())
        return {"type": "rich", "title": "Your info - mjuser", "description": description}

    def _settings_message(self) -> dict[str, Any]:
        on = {
            "MJ::Settings::RemixMode": self.remix,
            "MJ::Settings::FastMode": self.job_mode == "fast",
            "MJ::Settings::RelaxMode": self.job_mode == "relax",
            "MJ::Settings::TurboMode": self.job_mode == "turbo",
        }
        buttons = [
            {**_button(custom_id, label), "style": 3 if on.get(custom_id) else 2}
            for custom_id, label in _SETTINGS_BUTTONS
        ]
        return {
            "content": "Adjust your settings here. Current suffix:  `--v 6.1`",
            "components": _rows(buttons[:1], buttons[1:4], buttons[4:]),
        }

    async def _settings_pressed(self, discord: Channel, custom_id: str, message_id: str) -> None:
        """A /settings button: flip the state and redraw the (ephemeral) settings message."""
        setting = custom_id.removeprefix("MJ::Settings::")
        if setting == "RemixMode":
            self.remix = not self.remix
        elif setting == "ResetSettings":
            self.remix, self.job_mode = False, "fast"
        elif setting.removesuffix("Mode").lower() in _MODE_REPLIES:
            self.job_mode = setting.removesuffix("Mode").lower()
        else:
            return
        await discord.update_message(message_id, self._settings_message())

    async def _shorten(
        self,
        discord: Channel,
        channel_id: str,
        nonce: str,
        meta: dict[str, Any],
        prompt: str,
        delay: float,
    ) -> None:
        """Shortened prompts on keycap lines, by an edit of the first answer (c.6)."""
        await asyncio.sleep(delay)
        suggestions = shortened(prompt)
        tokens = " ".join(f"**{word}**" for word in _PARAMS_TAIL.sub("", prompt).split()[:12])
        picks = "\n\n".join(f"{n}\ufe0f\u20e3 {text}" for n, text in enumerate(suggestions, 1))
        embed = {
            "type": "rich",
            "color": 0,
            "description": f"## Important tokens\n{tokens}\n\n## Shortened prompts\n{picks}",
            "footer": {"text": "Click on a button to imagine one of the shortened prompts"},
        }
        count = len(suggestions)
        numbers = [_button(f"MJ::Job::PromptAnalyzer::{n}", str(n)) for n in range(1, count + 1)]
        details = _button("MJ::Job::PromptAnalyzer::Details", "Show Details")
        answer = {"embeds": [embed], "components": _rows(numbers, [details])}
        await self._deferred(discord, channel_id, nonce, meta, 0, answer)

    def _mode(self, prompt: str) -> str:
        """How the job runs: a --fast/--relax/--turbo in the prompt, else the account's mode."""
        for flag in ("relax", "turbo", "fast"):
            if re.search(rf"(?<!\S)--{flag}(?!\S)", prompt):
                return _MODE_WORDS[flag]
        return _MODE_WORDS[self.job_mode]

    def _user(self) -> dict[str, Any]:
        # Full user objects, as Discord sends them: discord.py refuses partial ones.
        return {
            "id": self.user_id,
            "username": "mjuser",
            "discriminator": "0",
            "avatar": None,
            "global_name": "mjuser",
        }

    def _base(self, channel_id: str, meta: dict[str, Any], content: str) -> dict[str, Any]:
        return {
            "channel_id": channel_id,
            "author": MIDJOURNEY_AUTHOR,
            "content": content,
            "attachments": [],
            "embeds": [],
            "components": [],
            "flags": 0,
            "type": 20 if meta["type"] == 2 else 19,
            "interaction_metadata": meta,
        }

    async def _grid(
        self,
        discord: Channel,
        channel_id: str,
        nonce: str,
        meta: dict[str, Any],
        prompt: str,
        kind: _Kind,
        delay: float,
    ) -> None:
        mention = f"<@{self.user_id}>"
        head = f"**{prompt}** - {kind.label}{mention}"
        mode = self._mode(prompt)
        for word, (title, description) in self.error_words.items():
            if word in prompt:
                await asyncio.sleep(delay)  # moderation takes Midjourney a moment too
                error = self._base(channel_id, meta, "")
                error["embeds"] = [{"title": title, "description": description, "color": 0xFF0000}]
                error["nonce"] = nonce
                error["flags"] = FLAG_EPHEMERAL if self.ephemeral_errors else 0
                await discord.create_message(channel_id, error)
                return
        first = self._base(channel_id, meta, f"{head} (Waiting to start)")
        first["nonce"] = nonce
        progress = await discord.create_message(channel_id, first)
        if any(word in prompt for word in self.hang_words):
            return
        for percent in self.steps if kind.progress else ():
            await asyncio.sleep(delay)
            await discord.update_message(
                progress["id"], {"content": f"{head} ({percent}%) ({mode})"}
            )
        await asyncio.sleep(delay)
        content = f"{head} ({mode})"
        await self._result(discord, channel_id, nonce, meta, prompt, content, kind.tiles)
        await discord.delete_message(progress["id"])

    async def _describe(
        self,
        discord: Channel,
        channel_id: str,
        nonce: str,
        meta: dict[str, Any],
        image: dict[str, Any],
        delay: float,
    ) -> None:
        """Describe answers with an embed of the image, later filled with four prompts (c.6)."""
        embed = {"type": "rich", "image": {"url": image["url"]}, "color": 0}
        first = self._base(channel_id, meta, "")
        first.update(nonce=nonce, embeds=[embed])
        message = await discord.create_message(channel_id, first)
        await asyncio.sleep(delay)
        stem = image["filename"].rsplit(".", 1)[0].replace("_", " ")
        styles = ("soft morning light", "cinematic, 35mm", "watercolor", "isometric 3D render")
        prompts = [
            f"{n}\ufe0f\u20e3 {stem}, {style} --ar 1:1" for n, style in enumerate(styles, 1)
        ]
        filled = {**embed, "description": "\n\n".join(prompts)}
        picks = [_button(f"MJ::Job::PicReader::{n}", str(n)) for n in range(1, 5)]
        components = _rows(picks, [_button("MJ::Picread::Retry", emoji="🔄")])
        await discord.update_message(message["id"], {"embeds": [filled], "components": components})

    async def _upscale(
        self,
        discord: Channel,
        channel_id: str,
        nonce: str,
        meta: dict[str, Any],
        prompt: str,
        index: int,
        payload: dict[str, Any],
    ) -> None:
        content = f"**{prompt}** - Image #{index} <@{self.user_id}>"
        await asyncio.sleep(self.step_delay / 2)
        reference = {"type": 0, "message_id": payload.get("message_id"), "channel_id": channel_id}
        extra = {"message_reference": reference, "nonce": nonce}
        await self._result(discord, channel_id, nonce, meta, prompt, content, 1, extra)

    async def _result(
        self,
        discord: Channel,
        channel_id: str,
        nonce: str,
        meta: dict[str, Any],
        prompt: str,
        content: str,
        tiles: int,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        job_hash = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        self._prompts[job_hash] = prompt
        data = self.fixed_image
        if data is None:
            data = await asyncio.to_thread(
                render,
                prompt,
                job_hash,
                tiles=tiles,
                size=self.image_size // (2 if tiles == 1 else 1),
            )
        slug = re.sub(r"[^a-z0-9]+", "_", prompt.lower())[:40].strip("_") or "image"
        filename = f"mjuser_{slug}_{job_hash}.png"
        url = discord.put_cdn(filename, data)
        message = self._base(channel_id, meta, content)
        message["attachments"] = [
            {
                "id": discord.new_id(),
                "filename": filename,
                "size": len(data),
                "url": url,
                "proxy_url": url,
                "content_type": "image/png",
            }
        ]
        message["components"] = grid_buttons(job_hash) if tiles > 1 else upscale_buttons(job_hash)
        message.update(extra or {})
        created = await discord.create_message(channel_id, message)
        self.results[nonce] = {"message": created, "image": data, "hash": job_hash}
        return created


# -- the simulator backend ----------------------------------------------------------------------


_SIM_PLACE = Place(guild_id="1", channel_id="2", session_id="simulator")
_MAX_MESSAGES = 5000
_MAX_IMAGES = 200


class SimulatorBackend:
    """Midjourney without Discord: the model writes straight into the parser and dispatcher."""

    def __init__(self, model: MidjourneyModel | None = None) -> None:
        self.model = model or MidjourneyModel()
        self._sink: EventSink | None = None
        self._next_id = int(datetime.now(UTC).timestamp() * 1000) << 22
        # Bounded like Discord's retention is, in effect: old buttons become "unknown message".
        self._messages: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._images: OrderedDict[str, bytes] = OrderedDict()
        self._uploads: dict[str, bytes] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._commands = {
            name: Command(id=cid, version=version, name=name)
            for name, (cid, version) in FALLBACK_COMMANDS.items()
        }

    async def start(self, sink: EventSink) -> None:
        self._sink = sink

    async def submit(self, interaction: Interaction) -> None:
        pressing = interaction.command is None and interaction.modal_id is None
        if pressing and interaction.message_id not in self._messages:
            raise DiscordHTTPError(404, 10008, "Unknown Message")
        body = payload(interaction, _SIM_PLACE, self._commands.__getitem__)
        task = asyncio.create_task(self.model.on_interaction(body, self))
        self._tasks.add(task)
        task.add_done_callback(self._settled)

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("simulated job crashed", exc_info=task.exception())

    async def fetch(self, url: str) -> bytes:
        try:
            return self._images[url]
        except KeyError:
            raise DiscordHTTPError(404, 0, "the image has expired") from None

    async def history(self, limit: int) -> list[dict[str, Any]]:
        return list(reversed(self._messages.values()))[:limit]

    async def upload(self, data: bytes, filename: str) -> Upload:
        key = f"{self.new_id()}/{filename}"
        self._uploads[key] = data
        return Upload(filename, key)

    async def publish(self, data: bytes, filename: str) -> str:
        return self.put_cdn(filename, data)

    def attachment_for_upload(self, uploaded_filename: str) -> dict[str, Any]:
        data = self._uploads.pop(uploaded_filename)
        filename = uploaded_filename.rsplit("/", 1)[-1]
        url = self.put_cdn(filename, data)
        return {"id": self.new_id(), "filename": filename, "url": url, "size": len(data)}

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- Channel, for the model --

    def new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def put_cdn(self, filename: str, data: bytes, content_type: str = "image/png") -> str:
        url = f"sim://cdn/{self.new_id()}/{filename}"
        self._images[url] = data
        while len(self._images) > _MAX_IMAGES:
            self._images.popitem(last=False)
        return url

    async def create_message(self, channel_id: str, data: dict[str, Any]) -> dict[str, Any]:
        message = {**data, "id": data.get("id") or self.new_id(), "channel_id": channel_id}
        self._messages[message["id"]] = message
        while len(self._messages) > _MAX_MESSAGES:
            self._messages.popitem(last=False)
        await self._feed("MESSAGE_CREATE", message)
        return message

    async def update_message(self, message_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        message = {**self._messages.get(message_id, {"id": message_id}), **changes}
        self._messages[message_id] = message
        await self._feed("MESSAGE_UPDATE", message)
        return message

    async def delete_message(self, message_id: str) -> None:
        message = self._messages.pop(message_id, None)
        channel_id = message["channel_id"] if message else _SIM_PLACE.channel_id
        await self._feed("MESSAGE_DELETE", {"id": message_id, "channel_id": channel_id})

    async def dispatch(self, event: str, data: dict[str, Any], *, audience: str = "all") -> None:
        """Interaction acks and modals, which on Discord only the user account's gateway sees."""
        await self._feed(event, data)

    async def _feed(self, event: str, data: dict[str, Any]) -> None:
        parsed = parse(event, data)
        if parsed is not None and self._sink is not None:
            await self._sink(parsed)

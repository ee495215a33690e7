"""Where a behaviour of the model plugs in: one table per kind of interaction.

A new kind of job is a new module of this package that registers its handlers here and is
imported in `bridge/simulator/__init__.py`:

    @on_button("MJ::JOB::video_virtual_upscale::")
    async def video_upscale(model: MidjourneyModel, turn: Turn) -> None: ...

Buttons and forms are matched by the longest registered prefix of their custom_id, slash
commands by name. What no table claims falls to the model's built-in imagine and job buttons.
Per-model state of a module lives in `model.state[<module name>]`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.simulator.channel import Channel
    from bridge.simulator.model import MidjourneyModel


@dataclass
class Turn:
    """One accepted interaction and where to answer it."""

    discord: Channel
    payload: dict[str, Any]
    interaction_id: str
    ack: dict[str, Any]  # {"id", "nonce"}, as the INTERACTION_* events carry it
    meta: dict[str, Any]  # the result messages' interaction_metadata
    delay: float  # seconds a progress step takes for this job

    @property
    def nonce(self) -> str:
        return str(self.payload["nonce"])

    @property
    def channel_id(self) -> str:
        return str(self.payload["channel_id"])

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.payload["data"])

    @property
    def custom_id(self) -> str:
        return str(self.payload["data"].get("custom_id", ""))

    def uploads(self) -> list[dict[str, Any]]:
        """The attachments of a slash command, as Midjourney sees them once uploaded."""
        return [
            self.discord.attachment_for_upload(a["uploaded_filename"])  # type: ignore[attr-defined]
            for a in self.payload["data"]["attachments"]
        ]


Handler = Callable[["MidjourneyModel", Turn], Awaitable[None]]

BUTTONS: dict[str, Handler] = {}  # custom_id prefix -> handler (type 3)
MODALS: dict[str, Handler] = {}  # form custom_id prefix -> handler (type 5)
COMMANDS: dict[str, Handler] = {}  # slash command name -> handler (type 2)


def on_button(*prefixes: str) -> Callable[[Handler], Handler]:
    return _register(BUTTONS, prefixes)


def on_modal(*prefixes: str) -> Callable[[Handler], Handler]:
    return _register(MODALS, prefixes)


def on_command(*names: str) -> Callable[[Handler], Handler]:
    return _register(COMMANDS, names)


def _register(table: dict[str, Handler], keys: tuple[str, ...]) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for key in keys:
            if key in table:
                raise ValueError(f"{key!r} is already handled by {table[key].__qualname__}")
            table[key] = handler
        return handler

    return register


def by_prefix(table: dict[str, Handler], custom_id: str) -> Handler | None:
    """The handler of the longest registered prefix of `custom_id`, if any."""
    matches = [prefix for prefix in table if custom_id.startswith(prefix)]
    return table[max(matches, key=len)] if matches else None

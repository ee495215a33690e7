"""The seam between the dispatcher and whatever runs Midjourney: Discord, or the simulator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bridge.interactions import Interaction, Upload
from bridge.messages import MjEvent

EventSink = Callable[[MjEvent], Awaitable[None]]

__all__ = ["Backend", "EventSink", "Interaction", "Upload"]


class Backend(Protocol):
    async def start(self, sink: EventSink) -> None:
        """Connect and feed every parsed Midjourney message to `sink` from now on."""

    async def submit(self, interaction: Interaction) -> None:
        """Send the interaction; raise a BridgeError if Discord refuses it."""

    async def fetch(self, url: str) -> bytes:
        """Download an image that a Midjourney message points at."""

    async def upload(self, data: bytes, filename: str) -> Upload:
        """Store an image where a slash command (describe, blend) can reference it."""

    async def publish(self, data: bytes, filename: str) -> str:
        """Make an image reachable by URL, for image prompts at the start of /imagine."""

    async def inpaint(self, *, custom_id: str, mask_png: bytes, prompt: str) -> None:
        """Send Vary (Region)'s mask to the editor Midjourney opened (`MJ::iframe::<token>`);
        raise bridge.inpaint.InpaintRefused with the editor's reason."""

    async def history(self, limit: int) -> list[dict[str, Any]]:
        """The channel's latest messages, newest first (to catch up after a restart)."""

    async def aclose(self) -> None: ...

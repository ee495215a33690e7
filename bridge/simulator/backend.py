"""The simulator backend: Midjourney without Discord, the model feeding the parser directly."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from bridge.backend import EventSink
from bridge.constants import FALLBACK_COMMANDS
from bridge.errors import DiscordHTTPError
from bridge.inpaint import InpaintRefused
from bridge.interactions import Command, Interaction, Place, Upload, payload
from bridge.parser import parse
from bridge.simulator import inpaint
from bridge.simulator.model import MidjourneyModel

_log = logging.getLogger(__name__)

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

    async def inpaint(self, *, custom_id: str, mask_png: bytes, prompt: str) -> None:
        """Vary (Region)'s mask to the model's editor, as Midjourney's editor host takes it."""
        token = custom_id.removeprefix(inpaint.IFRAME_PREFIX)
        reason = inpaint.editor_of(self.model).refusal(token)
        if reason is not None:
            raise InpaintRefused(reason)
        task = asyncio.create_task(inpaint.submit(self.model, token, mask_png, prompt))
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

    def cdn_bytes(self, url: str) -> bytes | None:
        return self._images.get(url)

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

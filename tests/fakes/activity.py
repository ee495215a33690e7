"""Fake of Midjourney's editor host (a Discord Activity, `*.discordsays.com`) on 127.0.0.1.

It serves the two submit contracts of bridge/inpaint.py: the newer
``POST /.proxy/inpaint/api/submit-job/<token>`` (WebP mask, Origin and Referer of the editor
page) and the older ``POST /inpaint/api/submit-job`` (PNG mask, customId). An accepted mask
goes to the simulator's Midjourney model, which draws the Variations (Region) grid into the
fake Discord channel (the one the button was pressed in). Switches: `newer_refused` (the
newer contract is gone: 404), and the model's `refuse` (both answer 400 with that reason).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from PIL import Image

from bridge.simulator import MidjourneyModel
from bridge.simulator.inpaint import editor_of, submit


@dataclass(frozen=True, slots=True)
class Submission:
    contract: str  # "newer" or "older"
    token: str
    prompt: str
    mask: bytes  # as sent (WebP or PNG)
    mask_png: bytes  # decoded to PNG
    headers: dict[str, str]


class FakeActivityHost:
    def __init__(self, model: MidjourneyModel) -> None:
        self.model = model
        self.newer_refused = False
        self.submissions: list[Submission] = []  # accepted or not, in order
        self.arrived = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.add_routes(
            [
                web.post("/.proxy/inpaint/api/submit-job/{token}", self._newer),
                web.post("/inpaint/api/submit-job", self._older),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _newer(self, request: web.Request) -> web.Response:
        body = await request.json()
        token = request.match_info["token"]
        if request.headers.get("Origin") != self.base_url:
            return web.json_response({"message": "bad origin"}, status=403)
        return await self._take("newer", token, body, request, webp=True)

    async def _older(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("userId") != "0" or body.get("username") != "0":
            return web.json_response({"message": "bad user"}, status=400)
        return await self._take("older", str(body.get("customId")), body, request, webp=False)

    async def _take(
        self, contract: str, token: str, body: dict[str, Any], request: web.Request, *, webp: bool
    ) -> web.Response:
        try:
            mask = base64.b64decode(str(body["mask"]), validate=True)
            with Image.open(io.BytesIO(mask)) as image:
                if image.format != ("WEBP" if webp else "PNG"):
                    return web.json_response({"message": "wrong mask format"}, status=400)
                out = io.BytesIO()
                image.convert("L").save(out, "PNG")
        except (KeyError, binascii.Error, OSError):
            return web.json_response({"message": "unreadable mask"}, status=400)
        prompt = str(body.get("prompt", ""))
        self.submissions.append(
            Submission(contract, token, prompt, mask, out.getvalue(), dict(request.headers))
        )
        self.arrived.set()
        if contract == "newer" and self.newer_refused:
            return web.Response(status=404, text="404: Not Found")
        editor = editor_of(self.model)
        reason = editor.refusal(token)
        if reason is not None:
            return web.json_response({"message": reason}, status=400)
        task = asyncio.create_task(submit(self.model, token, out.getvalue(), prompt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({"success": True})

"""The Mini App's web server, run by the bot process beside PTB (aiohttp).

Routes: the page and its two static files, and three API calls that each carry Telegram's
init data (header X-Telegram-Init-Data) and the button's token (`t`, or the Mini App link's
signed start_param). Anything unauthorised gets 403 and reaches neither the database's jobs
nor Discord.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from bot.miniapp.initdata import InvalidInitData, validate
from bot.miniapp.mask import MAX_MASK_BYTES, BadMask, clean_mask
from bot.miniapp.region import Denied, Opened, Region

_log = logging.getLogger(__name__)

STATIC: Final = Path(__file__).with_name("static")
_FILES: Final = {
    "/": ("index.html", "text/html"),
    "/app.js": ("app.js", "text/javascript"),
    "/app.css": ("app.css", "text/css"),
}
_TELEGRAM_SCRIPT: Final = "https://telegram.org"
_CSP: Final = "; ".join(
    (
        "default-src 'none'",
        f"script-src 'self' {_TELEGRAM_SCRIPT}",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        # Telegram Web shows Mini Apps in a frame; the apps show them in a web view.
        "frame-ancestors 'self' https://web.telegram.org",
    )
)
_HEADERS: Final = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
_PROMPT_LIMIT: Final = 4000
# The JSON body: the mask in base64 (4/3 of its bytes) and the prompt.
_BODY_LIMIT: Final = MAX_MASK_BYTES * 4 // 3 + 64 * 1024
REGION: web.AppKey[Region] = web.AppKey("region", Region)
TOKEN: web.AppKey[str] = web.AppKey("bot_token", str)
STATIC_FILES: web.AppKey[dict[str, bytes]] = web.AppKey("static", dict)


@web.middleware
async def _secure(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:
        response = exc
    response.headers.update(_HEADERS)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _deny(key: str, text: str | None = None, status: int = 403) -> web.Response:
    return web.json_response({"error": key, "message": text}, status=status)


async def _page(request: web.Request) -> web.Response:
    name, content_type = _FILES[request.path]
    body = request.app[STATIC_FILES][name]
    headers = {"Cache-Control": "no-cache"}
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)


def _forbidden(key: str) -> web.HTTPForbidden:
    return web.HTTPForbidden(text=json.dumps({"error": key}), content_type="application/json")


async def _authorised(request: web.Request, token: str | None) -> Opened:
    """The button and user of a request, or web.HTTPException (403)."""
    raw = request.headers.get("X-Telegram-Init-Data", "")
    try:
        user = validate(raw, request.app[TOKEN], now=time.time())
    except InvalidInitData as exc:
        _log.info("init data refused", extra={"reason": str(exc)})
        raise _forbidden("unsigned") from None
    token = token or user.start_param
    if not token:
        raise _forbidden("expired")
    try:
        return await request.app[REGION].open(user, token)
    except Denied as exc:
        _log.info("Mini App request refused", extra={"reason": exc.key, "user_id": user.user_id})
        raise _forbidden(exc.key) from None


async def _job(request: web.Request) -> web.Response:
    opened = await _authorised(request, request.query.get("t"))
    try:
        _, (width, height) = await request.app[REGION].picture(opened)
    except Denied as exc:
        return _deny(exc.key, exc.text)
    return web.json_response(
        {
            "prompt": opened.parent.prompt,
            "width": width,
            "height": height,
            "language": opened.language,
        }
    )


async def _image(request: web.Request) -> web.Response:
    opened = await _authorised(request, request.query.get("t"))
    try:
        data, _ = await request.app[REGION].picture(opened)
    except Denied as exc:
        return _deny(exc.key, exc.text)
    kind = "image/webp" if data[8:12] == b"WEBP" else "image/png"
    if data[:3] == b"\xff\xd8\xff":
        kind = "image/jpeg"
    return web.Response(body=data, content_type=kind)


async def _submit(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        return _deny("bad_request", status=400)
    if not isinstance(body, dict):
        return _deny("bad_request", status=400)
    token = body.get("t")
    opened = await _authorised(request, token if isinstance(token, str) else None)
    prompt = body.get("prompt")
    encoded = body.get("mask")
    if not isinstance(prompt, str) or not isinstance(encoded, str):
        return _deny("bad_request", status=400)
    region = request.app[REGION]
    try:
        _, size = await region.picture(opened)
        png = base64.b64decode(encoded.removeprefix("data:image/png;base64,"), validate=True)
        mask = await asyncio.to_thread(clean_mask, png, size)
    except (binascii.Error, BadMask) as exc:
        _log.info("mask refused", extra={"reason": str(exc)})
        return _deny("bad_mask", status=400)
    except Denied as exc:
        return _deny(exc.key, exc.text)
    try:
        await region.submit(opened, " ".join(prompt.split())[:_PROMPT_LIMIT], mask)
    except Denied as exc:
        return _deny(exc.key, exc.text)
    return web.json_response({"ok": True})


def build_app(region: Region, bot_token: str) -> web.Application:
    app = web.Application(middlewares=[_secure], client_max_size=_BODY_LIMIT)
    app[REGION] = region
    app[TOKEN] = bot_token
    app[STATIC_FILES] = {name: (STATIC / name).read_bytes() for name, _ in _FILES.values()}
    for path in _FILES:
        app.router.add_get(path, _page)
    app.router.add_get("/api/job", _job)
    app.router.add_get("/api/image", _image)
    app.router.add_post("/api/submit", _submit)
    return app


class MiniAppServer:
    """The web app on MINIAPP_LISTEN:MINIAPP_PORT, started and stopped with the bot."""

    def __init__(self, app: web.Application, *, host: str, port: int) -> None:
        self._runner = web.AppRunner(app, access_log=None)
        self._host = host
        self._port = port

    @property
    def port(self) -> int:
        """The bound port (the configured one, or the one picked for port 0)."""
        for address in self._runner.addresses:
            return int(address[1])
        return self._port

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        _log.info("Mini App server listening", extra={"port": self.port})

    async def aclose(self) -> None:
        await self._runner.cleanup()

"""The Midjourney user account's own gateway session: ephemeral replies and interaction results.

Midjourney answers many failures with ephemeral messages (flags 64) that only the invoking
account's session receives, and reports INTERACTION_SUCCESS / INTERACTION_FAILURE (with the
nonce) only there (docs/midjourney-on-the-wire.md#the-user-gateway). discord.py cannot log in a
user account, so this is a plain aiohttp websocket: HELLO → heartbeats + IDENTIFY → READY;
RESUME after a lost connection, RECONNECT or a missing HEARTBEAT_ACK; a fresh IDENTIFY after
INVALID_SESSION; exponential backoff between failed attempts. The token only ever goes into
IDENTIFY and RESUME frames, never into logs or exceptions.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Self

import aiohttp
import yarl
from aiohttp import WSMsgType

from bridge.errors import BridgeError
from bridge.rest import USER_AGENT

_log = logging.getLogger(__name__)

Sink = Callable[[str, dict[str, Any]], Awaitable[None]]
OnFatal = Callable[[int, str], Awaitable[None]]

# Dispatches only a user session gets. They carry `id` and `nonce` and need no channel filter.
_INTERACTION_EVENTS = frozenset({
    "INTERACTION_CREATE", "INTERACTION_SUCCESS", "INTERACTION_FAILURE",
    "INTERACTION_MODAL_CREATE", "INTERACTION_IFRAME_MODAL_CREATE",
})  # fmt: skip
_IFRAME_MARK = '"MJ::iframe::'
_MESSAGE_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"})
# Authentication failed, invalid shard, sharding required, invalid API version, invalid or
# disallowed intents: reconnecting cannot fix any of them.
_FATAL_CODES = frozenset({4004, 4010, 4011, 4012, 4013, 4014})
_NOT_AUTHENTICATED = 4003  # fatal only before READY/RESUMED: then our IDENTIFY was refused
# Discord ends a session closed with 1000/1001; any other code leaves it resumable.
_CLOSE_RESUMABLE = 4000
_HANDSHAKE_TIMEOUT = 20.0  # connect + HELLO
_CLOSE_TIMEOUT = 5.0  # wait for the server's close reply, then drop the socket
_BACKOFF_MAX = 60.0
# A user READY lists every guild, channel and relationship; it can pass aiohttp's 4 MiB default.
_MAX_MESSAGE = 64 * 1024 * 1024

# What the Discord web client sends in Chrome on Windows (see
# docs/midjourney-on-the-wire.md#the-user-gateway; the build number other clients send).
_PROPERTIES = {
    "os": "Windows", "browser": "Chrome", "device": "", "system_locale": "en-US",
    "browser_user_agent": USER_AGENT, "browser_version": "131.0.0.0", "os_version": "10",
    "referrer": "", "referring_domain": "", "release_channel": "stable",
    "client_build_number": 222963,
}  # fmt: skip


class GatewayRefused(BridgeError):
    """The gateway will not let the account in (bad token, ...) or sent no READY in time."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"Discord gateway refused the user session (code {code}): {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _End:
    """How one websocket connection ended."""

    code: int | None
    reason: str
    identify: bool = False  # the session is gone: IDENTIFY again rather than RESUME


class UserGateway:
    """Forward the user session's interaction dispatches and this channel's messages to `sink`.

    `sink(event, data)` is awaited inside the read loop, so it must be quick (hand off, return).
    `on_fatal(code, reason)` is called once when Discord closes with a code that retrying cannot
    fix; the gateway then stops, and `start()` raises GatewayRefused if READY had not come yet.
    """

    def __init__(
        self,
        *,
        gateway_url: str,
        token: str,
        channel_id: str,
        sink: Sink,
        session: aiohttp.ClientSession | None = None,
        on_fatal: OnFatal | None = None,
        reconnect_delay: float = 1.0,
        backoff_min: float = 1.0,
    ) -> None:
        self._gateway_url = gateway_url
        self._token = token
        self._channel_id = str(channel_id)
        self._sink = sink
        self._http = session
        self._owns_http = session is None
        self._on_fatal = on_fatal
        self._reconnect_delay = reconnect_delay  # INVALID_SESSION waits 1–5 times this
        self._backoff_min = backoff_min
        self._session_id: str | None = None
        self._resume_url: str | None = None
        self._seq: int | None = None
        self._resumes = 0
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._authenticated = False  # READY or RESUMED seen on the current connection
        self._acked = True
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self._closed = False

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed and self._authenticated

    @property
    def session_id(self) -> str | None:
        return self._session_id

    @property
    def resumes(self) -> int:
        """Successful RESUMEs so far."""
        return self._resumes

    async def start(self, *, ready_timeout: float = 30.0) -> None:
        """Connect and return once READY arrived; the connection then lives in a background task.

        Raises GatewayRefused on a fatal close code (on_fatal is called too) or on timeout.
        """
        if self._task is not None or self._closed:
            raise RuntimeError("UserGateway can be started only once")
        if self._http is None:
            self._http = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        self._ready = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(), name="user-gateway")
        self._task.add_done_callback(self._run_done)
        try:
            async with asyncio.timeout(ready_timeout):
                await self._ready
        except TimeoutError:
            await self.aclose()
            raise GatewayRefused(None, f"no READY within {ready_timeout:g} s") from None
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Stop heartbeats and the loop, close the socket with 1000 and our own HTTP session."""
        self._closed = True
        task, self._task = self._task, None
        # on_fatal may call aclose from inside the loop task, which then ends by itself.
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            await asyncio.wait({task})
        if self._ready is not None and not self._ready.done():
            self._ready.cancel()
        if self._owns_http and self._http is not None:
            http, self._http = self._http, None
            await http.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _run_done(self, task: asyncio.Task[None]) -> None:
        exc = None if task.cancelled() else task.exception()
        if exc is not None:
            _log.error("user gateway loop crashed", exc_info=exc)
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(exc or GatewayRefused(None, "stopped before READY"))

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                end = await self._connect(resume=self._session_id is not None)
            except Exception as exc:  # whatever broke this connection, the next one may work
                end = _End(None, f"{type(exc).__name__}: {exc}")
            code = end.code
            if code is not None and (
                code in _FATAL_CODES or (code == _NOT_AUTHENTICATED and not self._authenticated)
            ):
                await self._fail(code, end.reason)
                return
            if end.identify:
                self._session_id = self._resume_url = self._seq = None
            healthy = self._authenticated
            # After a healthy connection come back at once, as Discord asks; else back off.
            failures = 0 if healthy else failures + 1
            backoff = self._backoff_min * 2 ** min(failures - 1, 16)  # bounded: never overflows
            delay = 0.0 if healthy else min(_BACKOFF_MAX, backoff)
            if end.identify:  # Discord wants a random 1–5 s pause before a fresh IDENTIFY
                delay = max(delay, self._reconnect_delay * random.uniform(1, 5))
            _log.log(
                logging.INFO if healthy else logging.WARNING,
                "user gateway closed (code %s: %s); %s in %.2f s",
                end.code, end.reason, "resuming" if self._session_id else "identifying", delay,
            )  # fmt: skip
            await asyncio.sleep(delay)

    async def _fail(self, code: int, reason: str) -> None:
        _log.error("user gateway refused (code %s: %s); giving up", code, reason)
        if self._on_fatal is not None:
            try:
                await self._on_fatal(code, reason)
            except Exception:
                _log.exception("on_fatal callback failed")
        # Only now: start() closes everything as soon as this resolves, on_fatal included.
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(GatewayRefused(code, reason))

    async def _connect(self, *, resume: bool) -> _End:
        """Run one websocket connection until it ends."""
        assert self._http is not None
        self._authenticated, self._acked = False, True
        root = (self._resume_url if resume else None) or self._gateway_url
        # No compress=zlib-stream: plain JSON text frames, as some other clients take.
        url = yarl.URL(root).with_query(v="9", encoding="json")
        timeout = aiohttp.ClientWSTimeout(ws_close=_CLOSE_TIMEOUT)
        end: _End | None = None
        async with asyncio.timeout(_HANDSHAKE_TIMEOUT):
            ws = await self._http.ws_connect(url, timeout=timeout, max_msg_size=_MAX_MESSAGE)
        try:
            async with asyncio.timeout(_HANDSHAKE_TIMEOUT):
                hello = await ws.receive()
            if hello.type is not WSMsgType.TEXT:
                return _End(ws.close_code, "closed before HELLO")
            interval = json.loads(hello.data)["d"]["heartbeat_interval"] / 1000
            self._ws = ws
            await ws.send_str(json.dumps(self._resume_frame() if resume else self._identify()))
            # Two tasks so that the heartbeat can end a zombie connection while a read hangs.
            reader = asyncio.create_task(self._read(ws))
            beater = asyncio.create_task(self._beat(ws, interval))
            try:
                await asyncio.wait({reader, beater}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                reader.cancel()
                beater.cancel()
                await asyncio.wait({reader, beater})
                # Read both outcomes, so that asyncio never warns of an unretrieved exception.
                beat_error = None if beater.cancelled() else beater.exception()
            # A cancelled reader means the heartbeat ended first: a missing ACK or a failed send.
            if reader.cancelled():
                end = _End(None, repr(beat_error) if beat_error else "no HEARTBEAT_ACK")
            else:
                end = reader.result()  # raises what broke the read
            return end
        finally:
            self._ws = None
            code = 1000 if self._closed or (end and end.identify) else _CLOSE_RESUMABLE
            await ws.close(code=code)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> _End:
        while True:
            msg = await ws.receive()
            if msg.type is WSMsgType.CLOSE:
                return _End(msg.data, msg.extra or "")
            if msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return _End(ws.close_code, "connection lost")
            if msg.type is not WSMsgType.TEXT:
                continue  # BINARY would be zlib data, never asked for; aiohttp answers PINGs
            frame = json.loads(msg.data)
            op = frame.get("op")
            if op == 7:
                return _End(None, "RECONNECT requested")
            if op == 9:
                return _End(None, "INVALID_SESSION", identify=not frame.get("d"))
            if op == 0:
                # Vary (Region)'s editor may open under any event name (bridge/inpaint.py).
                editor = _IFRAME_MARK in msg.data
                await self._dispatch(str(frame.get("t")), frame.get("d") or {}, editor=editor)
            elif op == 1:  # the server wants a beat right now
                await ws.send_str(json.dumps({"op": 1, "d": self._seq}))
            elif op == 11:
                self._acked = True
            # Counted only once handled: a dispatch cut short by a closing socket is replayed.
            if frame.get("s") is not None:
                self._seq = frame["s"]

    async def _dispatch(self, event: str, data: dict[str, Any], *, editor: bool = False) -> None:
        if event == "READY":
            self._session_id = data["session_id"]
            self._resume_url = data.get("resume_gateway_url") or self._gateway_url
            self._authenticated = True
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(None)
            _log.info("user gateway READY")
        elif event == "RESUMED":
            self._resumes += 1
            self._authenticated = True
            _log.info("user gateway RESUMED")
        elif event in _INTERACTION_EVENTS or editor or (
            event in _MESSAGE_EVENTS and data.get("channel_id") == self._channel_id
        ):
            try:
                await self._sink(event, data)
            except Exception:
                _log.exception("user gateway sink failed on %s", event)

    async def _beat(self, ws: aiohttp.ClientWebSocketResponse, interval: float) -> None:
        """Heartbeat until an ACK goes missing, i.e. until the connection is a zombie."""
        # A random first delay, as Discord asks, so that clients reconnecting together spread out.
        await asyncio.sleep(interval * random.random())
        while self._acked:
            self._acked = False
            await ws.send_str(json.dumps({"op": 1, "d": self._seq}))
            await asyncio.sleep(interval)

    def _identify(self) -> dict[str, Any]:
        return {"op": 2, "d": {
            "token": self._token, "capabilities": 16381, "properties": _PROPERTIES,
            "presence": {"status": "online", "since": 0, "activities": [], "afk": False},
            "compress": False, "client_state": {"guild_versions": {}},
        }}  # fmt: skip

    def _resume_frame(self) -> dict[str, Any]:
        return {"op": 6, "d": {"token": self._token, "session_id": self._session_id,
                               "seq": self._seq}}  # fmt: skip

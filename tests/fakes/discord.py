"""In-process fake of Discord: REST API, gateway websocket and CDN on 127.0.0.1.

One aiohttp app serves the three surfaces the bridge talks to:

* REST under ``/api/v9`` and ``/api/v10``: the login calls stock discord.py makes, the user-token
  ``POST /interactions`` that drives Midjourney, the command index, channel messages and the
  two-step attachment upload (docs/midjourney-on-the-wire.md#interactions, #uploading-images);
* a plain-JSON gateway at ``/gw`` shared by the bot listener (discord.py) and the "user gateway",
  with per-session sequence numbers and a replay buffer so that RESUME works
  (docs/discord-py-notes.md#fake-gateway-details);
* a CDN under ``/cdn`` for bytes registered with :meth:`FakeDiscord.put_cdn`.

Midjourney itself is not modelled here. A :class:`Behaviour` receives every accepted interaction
and answers through the helpers ``create_message``, ``update_message``, ``delete_message`` and
``dispatch``. How stock discord.py is pointed at this fake is in
docs/discord-py-notes.md#pointing-it-at-another-server.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import mimetypes
import re
import secrets
import time
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from types import TracebackType
from typing import Any, Literal, Protocol, Self
from urllib.parse import quote, unquote, urlsplit

from aiohttp import WSMsgType, web
from aiohttp.typedefs import Handler

_log = logging.getLogger(__name__)

JSON = dict[str, Any]
Kind = Literal["bot", "user"]

MIDJOURNEY_APP_ID = "936929561302675456"
DISCORD_EPOCH_MS = 1_420_070_400_000
EPHEMERAL = 1 << 6
BACKLOG_SIZE = 1000  # dispatches kept per session for RESUME replay

BOT_USER: JSON = {"id": "5000", "username": "listener", "discriminator": "0", "avatar": None,
                  "global_name": None, "bot": True}
USER: JSON = {"id": "6000", "username": "mjuser", "discriminator": "0", "avatar": None,
              "global_name": None}
MIDJOURNEY_USER: JSON = {"id": MIDJOURNEY_APP_ID, "username": "Midjourney Bot",
                         "discriminator": "9282", "avatar": None, "bot": True}
MIDJOURNEY_APPLICATION: JSON = {"id": MIDJOURNEY_APP_ID, "name": "Midjourney Bot"}

# name -> (id, version, description); ids and versions as other clients published them, stale
# by now (docs/midjourney-on-the-wire.md#interactions). No client lists /prefer, so its pair is
# made up in the same style.
DEFAULT_COMMANDS: dict[str, tuple[str, str, str]] = {
    "imagine": ("938956540159881230", "1237876415471554623", "Create images with Midjourney"),
    "describe": ("1092492867185950852", "1237876415471554625", "Writes a prompt from an image"),
    "blend": ("1062880104792997970", "1237876415471554624", "Blend images together"),
    "shorten": ("1121575372539039774", "1247736572414001223", "Analyzes and shortens a prompt"),
    "show": ("1169435442328911902", "1247736572414001224", "Shows the job view of a job id"),
    "settings": ("1000850743479255081", "1493662068581077053", "View and adjust your settings"),
    "info": ("972289487818334209", "1237876415735660565", "View information about your profile"),
    "fast": ("972289487818334212", "1237876415735660572", "Switch to fast mode"),
    "relax": ("972289487818334213", "1237876415735660573", "Switch to relax mode"),
    "prefer": ("984273800587776053", "1237876415735660580", "Set your preferences"),
}

UNAUTHORIZED: JSON = {"message": "401: Unauthorized", "code": 0}
UNKNOWN_MESSAGE: JSON = {"message": "Unknown Message", "code": 10008}
_BAD_JSON: JSON = {"message": "The request body contains invalid JSON.", "code": 50109}
INVALID_VERSION: JSON = {
    "code": 50035,
    "message": "Invalid Form Body",
    "errors": {"data": {"_errors": [{
        "code": "INTERACTION_APPLICATION_COMMAND_INVALID_VERSION",
        "message": "This command is outdated, please try again in a few minutes",
    }]}},
}
ENVELOPE_FIELDS = ("type", "application_id", "guild_id", "channel_id", "session_id", "nonce",
                   "data")
_KIND = web.RequestKey("kind", str)  # which token authorised a REST request
_AUDIENCE_KINDS: dict[str, set[Kind]] = {
    "all": {"bot", "user"}, "bots": {"bot"}, "users": {"user"},
}
# What the listener bot is shown of a message: Discord does not promise other applications a
# message's nonce or interaction_metadata, so tests run with either or both withheld.
ListenerView = Literal["everything", "no_nonce", "no_nonce_no_metadata"]
_HIDDEN_FROM_BOTS: dict[str, tuple[str, ...]] = {
    "everything": (),
    "no_nonce": ("nonce",),
    "no_nonce_no_metadata": ("nonce", "interaction_metadata", "interaction"),
}


def prompt_of(payload: JSON) -> str:
    """The prompt option of a recorded slash-command interaction (/imagine, /shorten)."""
    return str(payload["data"]["options"][0]["value"])

class Behaviour(Protocol):
    """What Midjourney does with an accepted interaction (the fake only transports it)."""

    async def on_interaction(self, payload: JSON, discord: FakeDiscord) -> None: ...


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py's json_or_text compares the whole header, and the
    # "; charset=utf-8" that web.json_response adds would hand it a str instead of a dict.
    return web.Response(body=json.dumps(data).encode(), status=status, headers=headers,
                        content_type="application/json")


def _invalid_form(*fields: str) -> web.Response:
    required = [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]
    errors = {name: {"_errors": required} for name in fields}
    return _json({"code": 50035, "message": "Invalid Form Body", "errors": errors}, status=400)


async def _read_body(request: web.Request) -> JSON:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(body=json.dumps(_BAD_JSON).encode(),
                                 content_type="application/json")
    return body


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _audience_of(message: JSON) -> str:
    # Ephemeral messages are shown only to the user who ran the command.
    return "users" if message.get("flags", 0) & EPHEMERAL else "all"


@dataclass(eq=False)
class _Session:
    """A gateway session. It outlives its socket so that a reconnecting client can RESUME it."""

    id: str
    kind: Kind
    ws: web.WebSocketResponse | None = None
    seq: int = 0
    backlog: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=BACKLOG_SIZE))
    # Held while numbering and writing a frame, so frames leave in sequence order and a RESUME
    # replay cannot interleave with live dispatches.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def push(self, event: str, data: JSON) -> None:
        """Number a dispatch, keep it for replay and send it if a socket is attached."""
        async with self.lock:
            self.seq += 1
            frame = json.dumps({"op": 0, "t": event, "s": self.seq, "d": data})
            self.backlog.append((self.seq, frame))
            if self.ws is None or self.ws.closed:
                return
            try:
                await self.ws.send_str(frame)
            except ConnectionError:
                # The socket died under us; the frame stays in the backlog for the RESUME.
                self.ws = None


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: JSON | None
    times: int
    retry_after: float | None
    is_global: bool
    text: str | None = None  # a non-JSON body (an edge's HTML page, a plain-text 503)
    content_type: str = "text/html"
    late: bool = False  # the request is handled first, then answered with the error

    def response(self) -> web.Response:
        if self.text is not None:
            headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
            return web.Response(status=self.status, text=self.text,
                                content_type=self.content_type, headers=headers)
        if self.status != 429:
            phrase = HTTPStatus(self.status).phrase
            return _json(self.body or {"message": f"{self.status}: {phrase}", "code": 0},
                         status=self.status)
        retry = 0.01 if self.retry_after is None else self.retry_after
        headers = {
            "Retry-After": str(retry),
            "X-RateLimit-Limit": "1",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(time.time() + retry),
            "X-RateLimit-Reset-After": str(retry),
            "X-RateLimit-Bucket": hashlib.md5(self.pattern.pattern.encode()).hexdigest(),
            "X-RateLimit-Scope": "global" if self.is_global else "user",
        }
        if self.is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": retry,
                "global": self.is_global}
        return _json(self.body or body, status=429, headers=headers)


class FakeDiscord:
    """Discord's REST API, gateway and CDN for one guild and channel, served on loopback."""

    def __init__(
        self,
        *,
        bot_token: str = "bot-token",
        user_token: str = "user-token",
        guild_id: str = "111111111111111111",
        channel_id: str = "222222222222222222",
        heartbeat_interval_ms: int = 41250,
        listener_sees: ListenerView = "everything",
    ) -> None:
        self.bot_token = bot_token
        self.user_token = user_token
        self.user_tokens = {user_token}  # more accounts: add_user
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.listener_sees: ListenerView = listener_sees
        # Bots' sessions get each dispatch before users' (else in the order they connected).
        self.listener_first = False
        self._held: set[Kind] = set()  # kinds whose sessions cannot connect (hold_connections)
        self.behaviour: Behaviour | None = None
        self.commands: list[JSON] = [
            {"id": cid, "version": version, "name": name, "type": 1,
             "application_id": MIDJOURNEY_APP_ID, "description": description}
            for name, (cid, version, description) in DEFAULT_COMMANDS.items()
        ]
        # What clients did, for assertions.
        self.requests: list[tuple[str, str]] = []
        self.interactions: list[JSON] = []
        self.interaction_headers: list[dict[str, str]] = []
        self.identifies: list[JSON] = []
        self.resumes: list[JSON] = []
        self.uploads: dict[str, bytes] = {}
        self.cdn_hits = 0
        self.behaviour_errors: list[BaseException] = []

        self._messages: dict[str, JSON] = {}  # by id, ephemeral ones included
        self._cdn: dict[str, tuple[bytes, str]] = {}  # by URL path
        self._slow_cdn: list[tuple[re.Pattern[str], float, asyncio.Event]] = []  # slow_cdn
        self._upload_slots: dict[str, str] = {}  # upload key -> upload_filename
        self._faults: list[_Fault] = []
        self._sessions: dict[str, _Session] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()  # notified whenever a session attaches or detaches
        self._last_id = 0
        self._index_version = self.new_id()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        api = "/api/{version:v9|v10}"
        app.add_routes([
            web.get(f"{api}/users/@me", self._get_me),
            web.get(f"{api}/oauth2/applications/@me", self._get_application),
            web.post(f"{api}/interactions", self._post_interaction),
            web.get(f"{api}/guilds/{{guild_id}}/application-command-index", self._command_index),
            web.get(f"{api}/channels/{{channel_id}}/application-commands/search",
                    self._command_search),
            web.get(f"{api}/channels/{{channel_id}}/messages", self._list_messages),
            web.post(f"{api}/channels/{{channel_id}}/messages", self._post_message),
            web.get(f"{api}/channels/{{channel_id}}/messages/{{message_id}}", self._get_message),
            web.post(f"{api}/channels/{{channel_id}}/attachments", self._create_upload_slots),
            web.put("/upload/{key}", self._put_upload),
            web.get("/cdn/{path:.+}", self._get_cdn),
            web.get("/gw", self._gateway),
        ])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        sockets = list(self._sockets)
        self._sessions.clear()
        await asyncio.gather(*(ws.close(code=1001) for ws in sockets), return_exceptions=True)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    @property
    def _host(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return f"127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        return f"http://{self._host}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self._host}/gw"

    @property
    def cdn_url(self) -> str:
        return f"{self.base_url}/cdn"

    # -- helpers for tests and the behaviour model -----------------------------------------

    def new_id(self) -> str:
        """Return a snowflake: milliseconds since the Discord epoch, strictly increasing."""
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last_id = max(candidate, self._last_id + 1)
        return str(self._last_id)

    def set_command_version(self, name: str, version: str) -> None:
        """Redeploy a command, making clients' cached id/version pairs stale."""
        next(c for c in self.commands if c["name"] == name)["version"] = version
        self._index_version = self.new_id()

    def cdn_bytes(self, url: str) -> bytes | None:
        """The bytes behind one of this fake's CDN links (for the Midjourney model)."""
        found = self._cdn.get(unquote(urlsplit(url).path))
        return None if found is None else found[0]

    def put_cdn(self, filename: str, data: bytes, content_type: str = "image/png") -> str:
        path = f"/cdn/attachments/{self.channel_id}/{self.new_id()}/{filename}"
        self._cdn[path] = (data, content_type)
        # Same signed-URL shape as the real CDN, so clients are exercised with a query string.
        issued = int(time.time())
        signature = hashlib.sha256(path.encode()).hexdigest()
        return f"{self.base_url}{quote(path)}?ex={issued + 86400:x}&is={issued:x}&hm={signature}&"

    def make_attachment(self, filename: str, data: bytes, content_type: str | None = None) -> JSON:
        """Publish bytes on the CDN and describe them as a message attachment."""
        content_type = content_type or mimetypes.guess_type(filename)[0] or "image/png"
        url = self.put_cdn(filename, data, content_type)
        return {"id": self.new_id(), "filename": filename, "size": len(data), "url": url,
                "proxy_url": url, "content_type": content_type}

    def attachment_for_upload(self, uploaded_filename: str) -> JSON:
        """Turn an upload (docs/midjourney-on-the-wire.md#uploading-images) into an attachment;
        KeyError if nothing was PUT there."""
        return self.make_attachment(uploaded_filename.rsplit("/", 1)[-1],
                                    self.uploads[uploaded_filename])

    async def create_message(self, channel_id: str, data: JSON) -> JSON:
        """Post a message (by default from Midjourney Bot) and dispatch MESSAGE_CREATE."""
        message: JSON = {
            "type": 0, "content": "", "author": MIDJOURNEY_USER, "attachments": [], "embeds": [],
            "components": [], "mentions": [], "mention_roles": [], "mention_everyone": False,
            "pinned": False, "tts": False, "flags": 0, "timestamp": _now(),
            "edited_timestamp": None, **copy.deepcopy(data),
        }
        message.setdefault("id", self.new_id())
        message.update(channel_id=str(channel_id), guild_id=self.guild_id)
        # Ephemeral messages stay known (their buttons can be clicked and MJ edits them) but
        # are hidden from channel history and from the bot, as on Discord.
        self._messages[message["id"]] = message
        await self.dispatch("MESSAGE_CREATE", message, audience=_audience_of(message))
        return copy.deepcopy(message)

    async def update_message(self, message_id: str, changes: JSON) -> JSON:
        """Edit a message and dispatch MESSAGE_UPDATE with the full message, as Discord does."""
        message = self._messages[str(message_id)]
        message.update(copy.deepcopy(changes))
        message["edited_timestamp"] = _now()
        await self.dispatch("MESSAGE_UPDATE", message, audience=_audience_of(message))
        return copy.deepcopy(message)

    async def delete_message(self, message_id: str) -> None:
        message = self._messages.pop(str(message_id))
        deleted = {"id": message["id"], "channel_id": message["channel_id"],
                   "guild_id": self.guild_id}
        await self.dispatch("MESSAGE_DELETE", deleted, audience=_audience_of(message))

    async def dispatch(self, event: str, data: JSON, *, audience: str = "all") -> None:
        """Send a dispatch to every session of the audience, live or waiting to RESUME.

        `audience` is "all", "bots" or "users"; user-account-only events (INTERACTION_CREATE,
        INTERACTION_SUCCESS, INTERACTION_MODAL_CREATE, ...) go to "users".
        """
        if audience not in _AUDIENCE_KINDS:
            raise ValueError(f"audience must be all, bots or users, not {audience!r}")
        kinds = _AUDIENCE_KINDS[audience]
        hidden = _HIDDEN_FROM_BOTS[self.listener_sees] if event.startswith("MESSAGE_") else ()
        shown = {key: value for key, value in data.items() if key not in hidden}
        sessions = list(self._sessions.values())
        if self.listener_first:
            sessions.sort(key=lambda session: session.kind != "bot")
        for session in sessions:
            if session.kind in kinds:
                await session.push(event, shown if session.kind == "bot" else data)

    # -- gateway control for tests ---------------------------------------------------------

    def connected(self, kind: Kind) -> int:
        """Count sessions of this kind that have a live socket past READY or RESUMED."""
        return sum(1 for s in self._sessions.values()
                   if s.kind == kind and s.ws is not None and not s.ws.closed)

    async def wait_connected(self, kind: Kind = "bot", count: int = 1,
                             timeout: float = 5.0) -> None:  # noqa: ASYNC109 (public API)
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self.connected(kind) >= count)

    async def drop_connections(self, kind: Kind | None = None) -> None:
        """Close live sockets but keep their sessions, so clients reconnect and RESUME."""
        dropped: list[web.WebSocketResponse] = []
        for session in list(self._sessions.values()):
            if kind not in (None, session.kind):
                continue
            async with session.lock:  # never cut a frame in half
                if session.ws is not None:
                    dropped.append(session.ws)
                    session.ws = None
        await self._notify()
        # 4000 ("unknown error") is resumable: discord.py reconnects at once with RESUME.
        await asyncio.gather(*(ws.close(code=4000, message=b"dropped by test") for ws in dropped),
                             return_exceptions=True)

    async def hold_connections(self, kind: Kind) -> None:
        """Cut this kind's sessions off for the rest of the test: their sockets close and every
        IDENTIFY or RESUME is turned away."""
        self._held.add(kind)
        await self.drop_connections(kind)

    def fail_next(self, method: str, path_regex: str, *, status: int,
                  body: JSON | None = None, times: int = 1, retry_after: float | None = None,
                  is_global: bool = False, text: str | None = None,
                  content_type: str = "text/html", late: bool = False) -> None:
        """Answer the next `times` requests matching method and path (re.search) with an error.

        `text` sends a non-JSON body as Discord's edge does (Cloudflare's HTML 502, a plain-text
        503); `late` handles the request first (an interaction is taken) and answers the error
        after, as when the edge times out behind a Discord that did the work.
        """
        self._faults.append(_Fault(method.upper(), re.compile(path_regex), status, body, times,
                                   retry_after, is_global, text, content_type, late))

    # -- REST ------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/gw":
            return await handler(request)
        self.requests.append((request.method, request.path))
        for fault in self._faults:
            if fault.method == request.method and fault.pattern.search(request.path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                if not fault.late:
                    return fault.response()
                header = request.headers.get("Authorization", "")
                request[_KIND] = self._authorize(header) or ""
                await handler(request)
                return fault.response()
        if request.path.startswith("/api/"):
            kind = self._authorize(request.headers.get("Authorization", ""))
            if kind is None:
                return _json(UNAUTHORIZED, status=401)
            request[_KIND] = kind
        return await handler(request)

    def _authorize(self, header: str) -> Kind | None:
        # Bots send "Bot <token>"; user accounts send the raw token with no prefix.
        if header.startswith("Bot "):
            return "bot" if self._kind_of(header.removeprefix("Bot ")) == "bot" else None
        return "user" if self._kind_of(header) == "user" else None

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json(BOT_USER if request[_KIND] == "bot" else USER)

    async def _get_application(self, request: web.Request) -> web.Response:
        owner = {key: USER[key] for key in ("id", "username", "discriminator", "avatar")}
        return _json({
            "id": BOT_USER["id"], "name": BOT_USER["username"], "description": "", "icon": None,
            "bot_public": False, "bot_require_code_grant": False, "owner": owner,
            "verify_key": "0" * 64, "flags": 0,
        })

    async def _post_interaction(self, request: web.Request) -> web.Response:
        payload = await _read_body(request)
        self.interactions.append(payload)
        self.interaction_headers.append(dict(request.headers))
        if request[_KIND] != "user":
            return _json({"message": "Bots cannot use this endpoint", "code": 20001}, status=403)
        if (error := self._check_interaction(payload)) is not None:
            return error
        if self.behaviour is not None:
            self._spawn(self.behaviour.on_interaction(copy.deepcopy(payload), self))
        return web.Response(status=204)

    def _check_interaction(self, payload: JSON) -> web.Response | None:
        missing = [name for name in ENVELOPE_FIELDS if name not in payload]
        if payload.get("type") == 3 and "message_id" not in payload:
            missing.append("message_id")
        if missing:
            return _invalid_form(*missing)
        data = payload["data"]
        if payload["type"] == 2:
            current = next((c for c in self.commands if c["name"] == data.get("name")), None)
            if current is None or (data.get("id"), data.get("version")) != (
                    current["id"], current["version"]):
                return _json(INVALID_VERSION, status=400)
            if any(a.get("uploaded_filename") not in self.uploads
                   for a in data.get("attachments", [])):
                return _invalid_form("data.attachments")
        elif payload["type"] in (3, 5):
            # Type 5 carries message_id only sometimes; check it when it does.
            if "message_id" in payload and str(payload["message_id"]) not in self._messages:
                return _json(UNKNOWN_MESSAGE, status=404)
        else:
            return _invalid_form("type")
        return None

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        # Keep a reference until done: the loop only holds tasks weakly.
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._behaviour_done)

    def _behaviour_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            self.behaviour_errors.append(exc)
            _log.error("behaviour.on_interaction failed", exc_info=exc)

    async def _command_index(self, request: web.Request) -> web.Response:
        if request.match_info["guild_id"] != self.guild_id:
            return _json({"message": "Unknown Guild", "code": 10004}, status=404)
        return _json({"application_commands": self.commands,
                      "applications": [MIDJOURNEY_APPLICATION], "version": self._index_version})

    async def _command_search(self, request: web.Request) -> web.Response:
        query = request.query.get("query", "")
        limit = int(request.query.get("limit", "25"))
        found = [c for c in self.commands if c["name"].startswith(query)][:limit]
        return _json({"applications": [MIDJOURNEY_APPLICATION], "application_commands": found,
                      "cursor": {"previous": None, "next": None, "repaired": None}})

    def _history(self, channel_id: str) -> list[JSON]:
        """Non-ephemeral messages of a channel, oldest first."""
        return sorted((m for m in self._messages.values()
                       if m["channel_id"] == channel_id and not m["flags"] & EPHEMERAL),
                      key=lambda m: int(m["id"]))

    async def _list_messages(self, request: web.Request) -> web.Response:
        query = request.query
        limit = min(int(query.get("limit", "50")), 100)
        history = self._history(request.match_info["channel_id"])
        if "before" in query:
            history = [m for m in history if int(m["id"]) < int(query["before"])]
        if "after" in query:
            # `after` pages forward: the oldest `limit` messages past the id.
            history = [m for m in history if int(m["id"]) > int(query["after"])][:limit]
        return _json(history[-limit:][::-1])  # newest first, like Discord

    async def _get_message(self, request: web.Request) -> web.Response:
        history = self._history(request.match_info["channel_id"])
        found = [m for m in history if m["id"] == request.match_info["message_id"]]
        return _json(found[0]) if found else _json(UNKNOWN_MESSAGE, status=404)

    async def _post_message(self, request: web.Request) -> web.Response:
        body = await _read_body(request)
        try:
            attachments = [self.attachment_for_upload(ref["uploaded_filename"])
                           for ref in body.get("attachments", [])]
        except KeyError:
            return _invalid_form("attachments")
        data: JSON = {"author": BOT_USER if request[_KIND] == "bot" else USER,
                      "content": body.get("content", ""), "attachments": attachments,
                      "embeds": body.get("embeds", []), "components": body.get("components", [])}
        if "nonce" in body:
            data["nonce"] = body["nonce"]
        return _json(await self.create_message(request.match_info["channel_id"], data))

    async def _create_upload_slots(self, request: web.Request) -> web.Response:
        body = await _read_body(request)
        slots = []
        for index, file in enumerate(body.get("files", [])):
            if "filename" not in file:
                return _invalid_form(f"files.{index}.filename")
            key = secrets.token_hex(8)
            self._upload_slots[key] = f"{key}/{file['filename']}"
            slots.append({"id": int(file.get("id", index)),
                          "upload_url": f"{self.base_url}/upload/{key}",
                          "upload_filename": self._upload_slots[key]})
        return _json({"attachments": slots})

    async def _put_upload(self, request: web.Request) -> web.Response:
        # Like the storage bucket behind Discord's upload_url: no Authorization needed.
        upload_filename = self._upload_slots.get(request.match_info["key"])
        if upload_filename is None:
            return web.Response(status=404)
        self.uploads[upload_filename] = await request.read()
        return web.Response(status=200)

    def slow_cdn(self, path_regex: str, seconds: float) -> asyncio.Event:
        """Answer CDN downloads whose path matches (re.search) only after `seconds`; the
        event is set once one of them was answered."""
        answered = asyncio.Event()
        self._slow_cdn.append((re.compile(path_regex), seconds, answered))
        return answered

    async def _get_cdn(self, request: web.Request) -> web.Response:
        for pattern, seconds, answered in self._slow_cdn:
            if pattern.search(request.path):
                await asyncio.sleep(seconds)
                answered.set()
        if (stored := self._cdn.get(request.path)) is None:
            return web.Response(status=404, text="404: Not Found")
        self.cdn_hits += 1
        return web.Response(body=stored[0], content_type=stored[1])

    # -- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        # The query (v, encoding, compress) is ignored: discord.py takes plain-JSON TEXT frames
        # whatever compression it asked for. A short close timeout keeps drop_connections fast.
        ws = web.WebSocketResponse(timeout=1.0)
        await ws.prepare(request)
        self._sockets.add(ws)
        session: _Session | None = None
        try:
            hello = {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            await ws.send_str(json.dumps(hello))
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, data = frame.get("op"), frame.get("d") or {}
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    session = await self._identify(ws, data)
                elif op == 6:
                    session = await self._resume(ws, data)
                # Other ops (presence, voice, member requests) have nothing to model here.
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
                # A client that closes with 1000/1001 ends its session, as on Discord; any
                # other loss leaves it resumable.
                if ws.close_code in (1000, 1001):
                    self._sessions.pop(session.id, None)
            await self._notify()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: JSON) -> _Session | None:
        # IDENTIFY carries the bare token, for bots too (no "Bot " prefix).
        kind = self._kind_of(str(data.get("token", "")))
        if kind is None:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        if kind in self._held:
            await ws.close(code=4000, message=b"held by test")
            return None
        self.identifies.append({**data, "kind": kind})
        session = _Session(id=secrets.token_hex(16), kind=kind)
        ready: JSON = {
            "v": 10, "user": BOT_USER if kind == "bot" else USER, "guilds": [],
            "session_id": session.id, "resume_gateway_url": self.gateway_url,
            "application": {"id": BOT_USER["id"], "flags": 0},
        }
        if kind == "user":  # a user READY has more keys; clients of ours ignore them
            ready.update(user_settings={}, relationships=[], private_channels=[], sessions=[])
        session.seq = 1
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": session.seq, "d": ready}))
        session.ws = ws
        # Registered only now, so no dispatch can be numbered before READY.
        self._sessions[session.id] = session
        await self._notify()
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: JSON) -> _Session | None:
        self.resumes.append(dict(data))
        if self._kind_of(str(data.get("token", ""))) in self._held:
            await ws.close(code=4000, message=b"held by test")
            return None
        session = self._sessions.get(str(data.get("session_id")))
        if session is None or session.kind != self._kind_of(str(data.get("token", ""))):
            # d=false: not resumable, the client has to IDENTIFY again.
            await ws.send_str(json.dumps({"op": 9, "d": False}))
            return None
        last_seen = data.get("seq") or 0
        async with session.lock:
            session.ws = ws
            for seq, frame in session.backlog:
                if seq > last_seen:
                    await ws.send_str(frame)
            resumed = {"op": 0, "t": "RESUMED", "s": session.seq, "d": {}}
            await ws.send_str(json.dumps(resumed))
        await self._notify()
        return session

    def add_user(self, token: str) -> None:
        """Another Midjourney-subscribed account (an account pool)."""
        self.user_tokens.add(token)

    def _kind_of(self, token: str) -> Kind | None:
        if token == self.bot_token:
            return "bot"
        return "user" if token in self.user_tokens else None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


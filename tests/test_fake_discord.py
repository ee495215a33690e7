"""Self-tests for tests/fakes/discord.py, driven by stock discord.py and plain aiohttp."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
import yarl

from tests.fakes.discord import JSON, MIDJOURNEY_APP_ID, FakeDiscord

T = TypeVar("T")
IMAGINE = {"id": "938956540159881230", "version": "1237876415471554623"}
EPHEMERAL = 64


# -- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def as_user(fake: FakeDiscord) -> dict[str, str]:
    return {"Authorization": fake.user_token}


def interaction(fake: FakeDiscord, **overrides: Any) -> JSON:
    """An /imagine envelope (docs/midjourney-on-the-wire.md#interactions), fields overridable."""
    payload: JSON = {
        "type": 2, "application_id": MIDJOURNEY_APP_ID, "guild_id": fake.guild_id,
        "channel_id": fake.channel_id, "session_id": "0" * 32, "nonce": fake.new_id(),
        "data": {**IMAGINE, "name": "imagine", "type": 1, "attachments": [],
                 "options": [{"type": 3, "name": "prompt", "value": "a red fox"}]},
    }
    return {**payload, **overrides}


class RecordingBehaviour:
    """Stands in for the Midjourney model: remembers what it was handed."""

    def __init__(self) -> None:
        self.payloads: asyncio.Queue[JSON] = asyncio.Queue()

    async def on_interaction(self, payload: JSON, discord: FakeDiscord) -> None:
        await self.payloads.put(payload)


class Listener(discord.Client):
    """A stock discord.py client that records the gateway traffic it sees."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(intents=intents, guild_ready_timeout=0.1, enable_debug_events=True)
        self.frames: list[JSON] = []
        self.sent_ops: list[int] = []
        self.raw_edits: list[discord.RawMessageUpdateEvent] = []
        self.ready = asyncio.Event()
        self.resumed = asyncio.Event()
        self._changed = asyncio.Condition()

    async def on_socket_raw_receive(self, raw: str) -> None:
        self.frames.append(json.loads(raw))
        await self._notify()

    async def on_socket_raw_send(self, raw: str | bytes) -> None:
        self.sent_ops.append(json.loads(raw)["op"])

    async def on_raw_message_edit(self, event: discord.RawMessageUpdateEvent) -> None:
        self.raw_edits.append(event)
        await self._notify()

    async def on_ready(self) -> None:
        self.ready.set()

    async def on_resumed(self) -> None:
        self.resumed.set()

    def dispatched(self, event: str) -> list[JSON]:
        return [frame["d"] for frame in self.frames if frame.get("t") == event]

    async def wait_dispatch(self, event: str, message_id: str) -> JSON:
        return await self._until(lambda: next(
            (d for d in self.dispatched(event) if d["id"] == message_id), None))

    async def wait_raw_edit(self, message_id: str) -> discord.RawMessageUpdateEvent:
        return await self._until(lambda: next(
            (e for e in self.raw_edits if e.message_id == int(message_id)), None))

    async def _until(self, find: Callable[[], T | None]) -> T:
        async with asyncio.timeout(2), self._changed:
            await self._changed.wait_for(lambda: find() is not None)
        found = find()
        assert found is not None
        return found

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


StartListener = Callable[[], Awaitable[Listener]]


@pytest.fixture
def discord_at_fake(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    # discord.py reads both class attributes at connect time; monkeypatch restores them.
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_url)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(fake.gateway_url))


@pytest.fixture
async def start_listener(
    fake: FakeDiscord, discord_at_fake: None,
) -> AsyncIterator[StartListener]:
    """Start stock discord.py clients on demand (so a test can act before one connects)."""
    running: list[tuple[Listener, asyncio.Task[None]]] = []

    async def start() -> Listener:
        client = Listener()
        task = asyncio.create_task(client.start(fake.bot_token, reconnect=True))
        running.append((client, task))
        ready = asyncio.create_task(client.ready.wait())
        done, _ = await asyncio.wait({ready, task}, timeout=5,
                                     return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if task in done:
            task.result()  # surface a login or gateway error instead of a bare timeout
        assert client.ready.is_set(), "on_ready did not fire"
        return client

    yield start
    for client, task in running:
        await client.close()
        await asyncio.wait_for(task, 5)


async def gateway_frame(ws: aiohttp.ClientWebSocketResponse) -> JSON:
    return json.loads(await ws.receive_str(timeout=2))


async def identify(ws: aiohttp.ClientWebSocketResponse, token: str) -> JSON:
    """Do the user-gateway handshake (docs/discord-py-notes.md#fake-gateway-details) and return
    the frame that answers IDENTIFY."""
    assert (await gateway_frame(ws))["op"] == 10
    await ws.send_json({"op": 2, "d": {"token": token, "capabilities": 16381,
                                       "properties": {"os": "Linux", "browser": "Chrome"}}})
    return await gateway_frame(ws)


async def history(fake: FakeDiscord, http: aiohttp.ClientSession, query: str = "") -> list[JSON]:
    url = f"{fake.api_url}/channels/{fake.channel_id}/messages{query}"
    async with http.get(url, headers=as_user(fake)) as resp:
        assert resp.status == 200
        return await resp.json()


# -- stock discord.py against the fake -----------------------------------------------------


async def test_stock_client_logs_in_and_gets_ready(
    fake: FakeDiscord, start_listener: StartListener,
) -> None:
    client = await start_listener()

    assert client.user is not None
    assert (client.user.id, client.user.bot) == (5000, True)
    assert ("GET", "/api/v10/users/@me") in fake.requests
    assert [identify["kind"] for identify in fake.identifies] == ["bot"]
    assert fake.connected("bot") == 1


async def test_message_lifecycle_reaches_stock_client(
    fake: FakeDiscord, start_listener: StartListener,
) -> None:
    client = await start_listener()

    created = await fake.create_message(fake.channel_id, {"content": "fox (Waiting to start)",
                                                          "nonce": "77"})
    seen = await client.wait_dispatch("MESSAGE_CREATE", created["id"])
    assert (seen["content"], seen["nonce"]) == ("fox (Waiting to start)", "77")
    assert seen["author"]["id"] == MIDJOURNEY_APP_ID

    await fake.update_message(created["id"], {"content": "fox (31%) (fast)"})
    seen = await client.wait_dispatch("MESSAGE_UPDATE", created["id"])
    # The full message, not just the change, as Discord sends it.
    assert seen["content"] == "fox (31%) (fast)"
    assert seen["author"]["id"] == MIDJOURNEY_APP_ID
    assert seen["edited_timestamp"] is not None

    await fake.delete_message(created["id"])
    seen = await client.wait_dispatch("MESSAGE_DELETE", created["id"])
    assert seen == {"id": created["id"], "channel_id": fake.channel_id, "guild_id": fake.guild_id}


async def test_update_of_uncached_message_fires_raw_edit(fake: FakeDiscord,
                                                         start_listener: StartListener) -> None:
    # Posted before the client connects, so discord.py never cached it (as after a restart).
    old = await fake.create_message(fake.channel_id, {"content": "old job (12%)"})
    client = await start_listener()

    await fake.update_message(old["id"], {"content": "old job (50%)"})

    edit = await client.wait_raw_edit(old["id"])
    assert edit.cached_message is None
    assert edit.message.content == "old job (50%)"


async def test_dropped_client_resumes_and_gets_missed_dispatch_once(
    fake: FakeDiscord, start_listener: StartListener,
) -> None:
    client = await start_listener()
    session_id = client.dispatched("READY")[0]["session_id"]
    seen = await fake.create_message(fake.channel_id, {"content": "seen before the drop"})
    await client.wait_dispatch("MESSAGE_CREATE", seen["id"])

    await fake.drop_connections()
    assert fake.connected("bot") == 0
    missed = await fake.create_message(fake.channel_id, {"content": "sent while away"})
    async with asyncio.timeout(5):
        await client.resumed.wait()

    assert 6 in client.sent_ops
    assert [resume["session_id"] for resume in fake.resumes] == [session_id]
    assert len(fake.identifies) == 1  # resumed, not re-identified
    # Only what the client missed is replayed: nothing twice, nothing lost.
    assert [d["id"] for d in client.dispatched("MESSAGE_CREATE")] == [seen["id"], missed["id"]]
    live = await fake.create_message(fake.channel_id, {"content": "after the resume"})
    await client.wait_dispatch("MESSAGE_CREATE", live["id"])


# -- raw user gateway ----------------------------------------------------------------------


async def test_user_only_dispatches_skip_the_bot(fake: FakeDiscord, start_listener: StartListener,
                                                 http: aiohttp.ClientSession) -> None:
    client = await start_listener()
    async with http.ws_connect(f"{fake.gateway_url}?encoding=json&v=9") as ws:
        ready = await identify(ws, fake.user_token)
        assert (ready["t"], ready["s"], ready["d"]["user"]["id"]) == ("READY", 1, "6000")
        await fake.wait_connected("user")

        settings = await fake.create_message(fake.channel_id, {"content": "settings",
                                                               "flags": EPHEMERAL})
        await fake.dispatch("INTERACTION_SUCCESS", {"id": fake.new_id(), "nonce": "42"},
                            audience="users")
        public = await fake.create_message(fake.channel_id, {"content": "for everyone"})

        frames = [await gateway_frame(ws) for _ in range(3)]
        assert [(f["t"], f["s"]) for f in frames] == [
            ("MESSAGE_CREATE", 2), ("INTERACTION_SUCCESS", 3), ("MESSAGE_CREATE", 4)]
        assert frames[0]["d"]["id"] == settings["id"]

    # The public message came last, so once the bot has it, it would have had the others.
    await client.wait_dispatch("MESSAGE_CREATE", public["id"])
    assert [d["id"] for d in client.dispatched("MESSAGE_CREATE")] == [public["id"]]
    assert client.dispatched("INTERACTION_SUCCESS") == []
    assert [m["id"] for m in await history(fake, http)] == [public["id"]]


async def test_gateway_acks_heartbeats_and_rejects_bad_sessions(
    fake: FakeDiscord, http: aiohttp.ClientSession,
) -> None:
    async with http.ws_connect(fake.gateway_url) as ws:
        assert (await gateway_frame(ws))["op"] == 10
        await ws.send_json({"op": 1, "d": None})
        assert await gateway_frame(ws) == {"op": 11}
        await ws.send_json({"op": 6, "d": {"token": fake.user_token, "session_id": "gone",
                                           "seq": 3}})
        assert await gateway_frame(ws) == {"op": 9, "d": False}

    async with http.ws_connect(fake.gateway_url) as ws:
        assert (await gateway_frame(ws))["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": "not-a-token"}})
        closing = await ws.receive(timeout=2)
    assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 4004)
    assert fake.identifies == []


# -- REST ----------------------------------------------------------------------------------


async def test_users_me_depends_on_token(fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    for header, username in [(f"Bot {fake.bot_token}", "listener"), (fake.user_token, "mjuser")]:
        async with http.get(f"{fake.api_url}/users/@me",
                            headers={"Authorization": header}) as resp:
            # Exactly this, or discord.py treats the body as text.
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["username"] == username


@pytest.mark.parametrize(("authorization", "status"), [
    ("wrong", 401), ("Bot user-token", 401), ("user-token", 204), ("Bot bot-token", 403),
])
async def test_interactions_need_the_user_token(fake: FakeDiscord, http: aiohttp.ClientSession,
                                                authorization: str, status: int) -> None:
    async with http.post(f"{fake.api_url}/interactions", json=interaction(fake),
                         headers={"Authorization": authorization}) as resp:
        assert resp.status == status
        if status == 401:
            assert await resp.json() == {"message": "401: Unauthorized", "code": 0}


async def test_interaction_is_accepted_and_handed_to_behaviour(
    fake: FakeDiscord, http: aiohttp.ClientSession,
) -> None:
    fake.behaviour = behaviour = RecordingBehaviour()
    payload = interaction(fake)

    # Peers post interactions to v9.
    async with http.post(f"{fake.base_url}/api/v9/interactions", json=payload,
                         headers=as_user(fake)) as resp:
        assert resp.status == 204

    assert await asyncio.wait_for(behaviour.payloads.get(), 2) == payload
    assert fake.interactions == [payload]
    assert fake.interaction_headers[0]["Authorization"] == fake.user_token
    assert fake.behaviour_errors == []


async def test_stale_command_version_is_rejected(fake: FakeDiscord,
                                                 http: aiohttp.ClientSession) -> None:
    fake.set_command_version("imagine", "1300000000000000000")

    async with http.post(f"{fake.api_url}/interactions", json=interaction(fake),
                         headers=as_user(fake)) as resp:
        assert resp.status == 400
        assert await resp.json() == {
            "code": 50035, "message": "Invalid Form Body",
            "errors": {"data": {"_errors": [{
                "code": "INTERACTION_APPLICATION_COMMAND_INVALID_VERSION",
                "message": "This command is outdated, please try again in a few minutes"}]}}}


async def test_envelope_without_session_id_is_invalid(fake: FakeDiscord,
                                                      http: aiohttp.ClientSession) -> None:
    payload = interaction(fake)
    del payload["session_id"]

    async with http.post(f"{fake.api_url}/interactions", json=payload,
                         headers=as_user(fake)) as resp:
        body = await resp.json()
    assert (resp.status, body["code"], list(body["errors"])) == (400, 50035, ["session_id"])


async def test_button_click_needs_a_known_message(fake: FakeDiscord,
                                                  http: aiohttp.ClientSession) -> None:
    click = interaction(fake, type=3, message_id="1", message_flags=0,
                        data={"component_type": 2, "custom_id": "MJ::JOB::upsample::1::abc"})
    async with http.post(f"{fake.api_url}/interactions", json=click,
                         headers=as_user(fake)) as resp:
        assert resp.status == 404
        assert await resp.json() == {"message": "Unknown Message", "code": 10008}

    grid = await fake.create_message(fake.channel_id, {"content": "**a red fox**"})
    click["message_id"] = grid["id"]
    async with http.post(f"{fake.api_url}/interactions", json=click,
                         headers=as_user(fake)) as resp:
        assert resp.status == 204


async def test_fail_next_rate_limits_then_recovers(fake: FakeDiscord,
                                                   http: aiohttp.ClientSession) -> None:
    fake.fail_next("POST", r"/interactions$", status=429, retry_after=1.5, is_global=True)
    url = f"{fake.api_url}/interactions"

    async with http.post(url, json=interaction(fake), headers=as_user(fake)) as resp:
        assert resp.status == 429
        assert await resp.json() == {"message": "You are being rate limited.",
                                     "retry_after": 1.5, "global": True}
        assert resp.headers["Retry-After"] == "1.5"
        assert resp.headers["X-RateLimit-Remaining"] == "0"
        assert resp.headers["X-RateLimit-Global"] == "true"
    async with http.post(url, json=interaction(fake), headers=as_user(fake)) as resp:
        assert resp.status == 204
    assert fake.requests.count(("POST", "/api/v10/interactions")) == 2


async def test_upload_then_message_gives_downloadable_cdn_url(
    fake: FakeDiscord, http: aiohttp.ClientSession,
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    channel = f"{fake.api_url}/channels/{fake.channel_id}"
    files = {"files": [{"filename": "in.png", "file_size": len(png), "id": "0"}]}
    async with http.post(f"{channel}/attachments", json=files, headers=as_user(fake)) as resp:
        slot = (await resp.json())["attachments"][0]
    assert slot["id"] == 0
    async with http.put(slot["upload_url"], data=png,
                        headers={"Content-Type": "image/png"}) as resp:
        assert resp.status == 200

    body = {"content": "", "channel_id": fake.channel_id, "type": 0, "sticker_ids": [],
            "attachments": [{"id": "0", "filename": "in.png",
                             "uploaded_filename": slot["upload_filename"]}]}
    async with http.post(f"{channel}/messages", json=body, headers=as_user(fake)) as resp:
        message = await resp.json()
    url = message["attachments"][0]["url"]
    async with http.get(url) as resp:
        downloaded = await resp.read()

    assert message["author"]["id"] == "6000"
    assert url.startswith(f"{fake.cdn_url}/attachments/{fake.channel_id}/")
    assert downloaded == png
    assert fake.cdn_hits == 1


async def test_channel_history_is_newest_first(fake: FakeDiscord,
                                               http: aiohttp.ClientSession) -> None:
    ids = [(await fake.create_message(fake.channel_id, {"content": str(n)}))["id"]
           for n in range(3)]

    assert [m["id"] for m in await history(fake, http, "?limit=2")] == [ids[2], ids[1]]
    assert [m["id"] for m in await history(fake, http, f"?before={ids[2]}")] == [ids[1], ids[0]]
    async with http.get(f"{fake.api_url}/channels/{fake.channel_id}/messages/1",
                        headers=as_user(fake)) as resp:
        assert resp.status == 404


async def test_command_index_lists_imagine(fake: FakeDiscord,
                                           http: aiohttp.ClientSession) -> None:
    url = f"{fake.base_url}/api/v9/guilds/{fake.guild_id}/application-command-index"
    async with http.get(url, headers=as_user(fake)) as resp:
        index = await resp.json()

    imagine = next(c for c in index["application_commands"] if c["name"] == "imagine")
    assert {k: imagine[k] for k in ("id", "version")} == IMAGINE
    assert imagine["application_id"] == MIDJOURNEY_APP_ID

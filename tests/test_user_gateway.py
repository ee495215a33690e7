"""UserGateway against the fake Discord gateway, plus a scripted gateway for the misbehaviours
the fake does not produce (missing ACKs, RECONNECT, INVALID_SESSION, fatal closes)."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType, web

from bridge.rest import USER_AGENT
from bridge.user_gateway import GatewayRefused, UserGateway
from tests.fakes.discord import FakeDiscord
from tests.helpers import CHANNEL_ID, DISCORD_USER_TOKEN

JSON = dict[str, Any]
OTHER_CHANNEL = "333333333333333333"
MakeGateway = Callable[..., UserGateway]


class Recorder:
    """A sink that queues what it receives."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[tuple[str, JSON]] = asyncio.Queue()

    async def __call__(self, event: str, data: JSON) -> None:
        await self.events.put((event, data))

    async def next(self, timeout: float = 2.0) -> tuple[str, JSON]:  # noqa: ASYNC109
        return await asyncio.wait_for(self.events.get(), timeout)


class Fatal:
    """An on_fatal callback that records its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    async def __call__(self, code: int, reason: str) -> None:
        self.calls.append((code, reason))


async def eventually(check: Callable[[], bool], timeout: float = 2.0) -> None:  # noqa: ASYNC109
    # Polls state that has no event to wait on (the gateway's counters, the loop's task set).
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


@pytest.fixture
async def make_gateway() -> AsyncIterator[MakeGateway]:
    made: list[UserGateway] = []

    def make(url: str, **kwargs: Any) -> UserGateway:
        options: dict[str, Any] = {
            "token": DISCORD_USER_TOKEN,
            "channel_id": CHANNEL_ID,
            "sink": Recorder(),
            "reconnect_delay": 0.001,
            "backoff_min": 0.01,
            **kwargs,
        }
        made.append(UserGateway(gateway_url=url, **options))
        return made[-1]

    yield make
    for gateway in made:
        await gateway.aclose()


# -- against FakeDiscord ---------------------------------------------------------------------


async def test_identifies_as_user_with_browser_properties(
    discord_fake: FakeDiscord, make_gateway: MakeGateway
) -> None:
    gateway = make_gateway(discord_fake.gateway_url)
    await gateway.start(ready_timeout=5)

    assert gateway.connected
    identify = discord_fake.identifies[-1]
    assert identify["kind"] == "user"
    assert identify["token"] == DISCORD_USER_TOKEN
    assert identify["capabilities"] == 16381
    assert identify["compress"] is False
    properties = identify["properties"]
    assert properties["os"] == "Windows"
    assert properties["browser"] == "Chrome"
    assert properties["browser_user_agent"] == USER_AGENT
    assert properties["client_build_number"] == 222963
    # The fake has no public list of sessions; READY's session_id is the key it stores them by.
    assert set(discord_fake._sessions) == {gateway.session_id}
    assert gateway.resumes == 0


@pytest.mark.parametrize(
    "event",
    [
        "INTERACTION_CREATE",
        "INTERACTION_SUCCESS",
        "INTERACTION_FAILURE",
        "INTERACTION_MODAL_CREATE",
        "INTERACTION_IFRAME_MODAL_CREATE",
    ],
)
async def test_interaction_dispatches_reach_the_sink(
    discord_fake: FakeDiscord, make_gateway: MakeGateway, event: str
) -> None:
    sink = Recorder()
    gateway = make_gateway(discord_fake.gateway_url, sink=sink)
    await gateway.start(ready_timeout=5)

    data = {"id": "1262000000000000100", "nonce": "1262000000000000001"}
    await discord_fake.dispatch(event, data, audience="users")

    assert await sink.next() == (event, data)


async def test_only_messages_of_the_channel_reach_the_sink(
    discord_fake: FakeDiscord, make_gateway: MakeGateway
) -> None:
    sink = Recorder()
    gateway = make_gateway(discord_fake.gateway_url, sink=sink)
    await gateway.start(ready_timeout=5)

    await discord_fake.create_message(OTHER_CHANNEL, {"content": "elsewhere", "flags": 64})
    ephemeral = await discord_fake.create_message(
        CHANNEL_ID, {"content": "**a fox** - Only you can see this", "flags": 64}
    )
    await discord_fake.update_message(ephemeral["id"], {"content": "edited"})
    await discord_fake.delete_message(ephemeral["id"])

    # Frames arrive in order, so had the other channel's message passed, it would come first.
    event, data = await sink.next()
    assert (event, data["id"], data["flags"]) == ("MESSAGE_CREATE", ephemeral["id"], 64)
    event, data = await sink.next()
    assert (event, data["content"]) == ("MESSAGE_UPDATE", "edited")
    event, data = await sink.next()
    assert (event, data["id"]) == ("MESSAGE_DELETE", ephemeral["id"])
    assert sink.events.empty()


async def test_resumes_after_a_drop_and_delivers_the_missed_dispatch_once(
    discord_fake: FakeDiscord, make_gateway: MakeGateway
) -> None:
    # The gate holds the reconnect back, so the dispatch below surely happens while disconnected.
    gate = asyncio.Event()
    gate.set()

    async def hold(*_: object) -> None:
        await gate.wait()

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(hold)
    sink = Recorder()
    async with aiohttp.ClientSession(trace_configs=[trace]) as http:
        gateway = make_gateway(discord_fake.gateway_url, sink=sink, session=http)
        await gateway.start(ready_timeout=5)
        before = {"id": "1", "nonce": "10"}
        await discord_fake.dispatch("INTERACTION_SUCCESS", before, audience="users")
        assert await sink.next() == ("INTERACTION_SUCCESS", before)

        gate.clear()
        await discord_fake.drop_connections(kind="user")
        assert discord_fake.connected("user") == 0
        missed = {"id": "2", "nonce": "20"}
        await discord_fake.dispatch("INTERACTION_SUCCESS", missed, audience="users")
        gate.set()
        await discord_fake.wait_connected(kind="user")
        after = {"id": "3", "nonce": "30"}
        await discord_fake.dispatch("INTERACTION_FAILURE", after, audience="users")

        assert await sink.next() == ("INTERACTION_SUCCESS", missed)
        assert await sink.next() == ("INTERACTION_FAILURE", after)
        assert sink.events.empty()
        assert gateway.resumes == 1
        assert gateway.connected
        assert len(discord_fake.identifies) == 1
        assert len(discord_fake.resumes) == 1
        resume = discord_fake.resumes[0]
        assert resume["session_id"] == gateway.session_id
        assert resume["token"] == DISCORD_USER_TOKEN
        assert resume["seq"] == 2  # READY and the first dispatch
        await gateway.aclose()


async def test_wrong_token_is_refused_quickly(
    discord_fake: FakeDiscord, make_gateway: MakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fatal = Fatal()
    gateway = make_gateway(discord_fake.gateway_url, token="wrong-token-secret", on_fatal=fatal)

    async with asyncio.timeout(2):
        with pytest.raises(GatewayRefused) as refused:
            await gateway.start(ready_timeout=10)

    assert refused.value.code == 4004
    assert fatal.calls == [(4004, "Authentication failed.")]
    assert not gateway.connected
    assert discord_fake.identifies == []
    assert "wrong-token-secret" not in caplog.text


async def test_aclose_leaves_no_tasks_and_ends_the_session(
    discord_fake: FakeDiscord, make_gateway: MakeGateway
) -> None:
    await asyncio.sleep(0)  # let fixture set-up tasks settle before counting
    before = asyncio.all_tasks()
    gateway = make_gateway(discord_fake.gateway_url)
    await gateway.start(ready_timeout=5)
    assert len(asyncio.all_tasks()) > len(before)

    await gateway.aclose()
    await gateway.aclose()  # idempotent

    ours = [t for t in asyncio.all_tasks() if "UserGateway" in repr(t.get_coro())]
    assert ours == []
    assert not gateway.connected
    # The fake's own handler for our socket ends once it reads our close frame.
    await eventually(lambda: len(asyncio.all_tasks()) <= len(before))
    # Closed with 1000, so the fake ended the session instead of keeping it for a RESUME.
    assert discord_fake._sessions == {}


async def test_a_failing_sink_does_not_break_the_connection(
    discord_fake: FakeDiscord, make_gateway: MakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    received: list[str] = []

    async def sink(event: str, data: JSON) -> None:
        received.append(data["id"])
        if data["id"] == "1":
            raise RuntimeError("sink broke")

    gateway = make_gateway(discord_fake.gateway_url, sink=sink)
    await gateway.start(ready_timeout=5)
    for interaction_id in ("1", "2"):
        await discord_fake.dispatch(
            "INTERACTION_SUCCESS", {"id": interaction_id}, audience="users"
        )

    await eventually(lambda: received == ["1", "2"])
    assert gateway.connected
    assert gateway.resumes == 0
    assert "sink failed on INTERACTION_SUCCESS" in caplog.text
    assert DISCORD_USER_TOKEN not in caplog.text


# -- against a scripted gateway --------------------------------------------------------------


class ScriptedGateway:
    """A gateway that answers IDENTIFY/RESUME and heartbeats, and misbehaves on request."""

    def __init__(self, heartbeat_ms: int = 40_000) -> None:
        self.heartbeat_ms = heartbeat_ms
        self.ack = True
        self.ready = True
        self.received: list[list[JSON]] = []  # frames from the client, per connection
        self.close_codes: list[int | None] = []  # how each connection ended, server side
        self.sockets: list[web.WebSocketResponse] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> ScriptedGateway:
        app = web.Application()
        app.router.add_get("/gw", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}/gw"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=1.0)
        await ws.prepare(request)
        frames: list[JSON] = []
        self.received.append(frames)
        self.sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}})
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            frames.append(frame)
            if frame["op"] == 1 and self.ack:
                await ws.send_json({"op": 11})
            elif frame["op"] == 2 and self.ready:
                session = f"session-{len(self.received)}"
                ready = {"session_id": session, "resume_gateway_url": self.url}
                await ws.send_json({"op": 0, "t": "READY", "s": 1, "d": ready})
            elif frame["op"] == 6:
                await ws.send_json({"op": 0, "t": "RESUMED", "s": frame["d"]["seq"], "d": {}})
        self.close_codes.append(ws.close_code)
        return ws

    def first_ops(self) -> list[int]:
        return [frames[0]["op"] for frames in self.received if frames]


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedGateway]:
    async with ScriptedGateway() as server:
        yield server


async def test_missing_heartbeat_ack_resumes(make_gateway: MakeGateway) -> None:
    async with ScriptedGateway(heartbeat_ms=30) as server:
        server.ack = False
        gateway = make_gateway(server.url)
        await gateway.start(ready_timeout=5)

        await eventually(lambda: gateway.resumes >= 1)
        await gateway.aclose()  # before the server goes away

        heartbeats = [f for f in server.received[0] if f["op"] == 1]
        assert heartbeats == [{"op": 1, "d": 1}]  # one beat with READY's seq, never ACKed
        assert server.close_codes[0] == 4000  # a resumable close, not 1000
        assert server.first_ops()[:2] == [2, 6]
        assert server.received[1][0]["d"]["session_id"] == "session-1"


async def test_reconnect_request_resumes(
    scripted: ScriptedGateway, make_gateway: MakeGateway
) -> None:
    gateway = make_gateway(scripted.url)
    await gateway.start(ready_timeout=5)

    await scripted.sockets[0].send_json({"op": 7, "d": None})

    await eventually(lambda: gateway.resumes == 1)
    assert scripted.first_ops() == [2, 6]
    assert scripted.close_codes == [4000]
    assert gateway.session_id == "session-1"
    assert gateway.connected


async def test_invalid_session_identifies_again(
    scripted: ScriptedGateway, make_gateway: MakeGateway
) -> None:
    gateway = make_gateway(scripted.url)
    await gateway.start(ready_timeout=5)

    await scripted.sockets[0].send_json({"op": 9, "d": False})

    await eventually(lambda: gateway.session_id == "session-2")
    assert scripted.first_ops() == [2, 2]
    assert scripted.close_codes == [1000]
    assert gateway.resumes == 0


async def test_fatal_close_after_ready_calls_on_fatal_once_and_stops(
    scripted: ScriptedGateway, make_gateway: MakeGateway
) -> None:
    fatal = Fatal()
    gateway = make_gateway(scripted.url, on_fatal=fatal)
    await gateway.start(ready_timeout=5)

    await scripted.sockets[0].close(code=4014, message=b"Disallowed intent(s).")

    await eventually(lambda: fatal.calls != [])
    await asyncio.sleep(0.2)  # 20 times the backoff: a reconnect would have happened by now
    assert fatal.calls == [(4014, "Disallowed intent(s).")]
    assert len(scripted.received) == 1
    assert not gateway.connected


async def test_other_close_codes_resume(
    scripted: ScriptedGateway, make_gateway: MakeGateway
) -> None:
    fatal = Fatal()
    gateway = make_gateway(scripted.url, on_fatal=fatal)
    await gateway.start(ready_timeout=5)

    await scripted.sockets[0].close(code=4003, message=b"Not authenticated.")  # after READY

    await eventually(lambda: gateway.resumes == 1)
    assert fatal.calls == []
    assert scripted.first_ops() == [2, 6]


async def test_no_ready_times_out(scripted: ScriptedGateway, make_gateway: MakeGateway) -> None:
    scripted.ready = False
    gateway = make_gateway(scripted.url)

    with pytest.raises(GatewayRefused) as refused:
        await gateway.start(ready_timeout=0.3)

    assert refused.value.code is None
    assert not gateway.connected
    assert [t for t in asyncio.all_tasks() if "UserGateway" in repr(t.get_coro())] == []


async def test_unreachable_gateway_backs_off(make_gateway: MakeGateway) -> None:
    attempts: list[float] = []

    async def count(*_: object) -> None:
        attempts.append(asyncio.get_running_loop().time())

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(count)
    async with ScriptedGateway() as server:
        url = server.url  # the port is free once the server is gone
    async with aiohttp.ClientSession(trace_configs=[trace]) as http:
        gateway = make_gateway(url, session=http, backoff_min=0.05)
        with pytest.raises(GatewayRefused):
            await gateway.start(ready_timeout=0.5)

    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    # 0.05, 0.1, 0.2 s: doubling, not a tight loop
    assert 3 <= len(attempts) <= 5
    assert all(later > earlier * 1.5 for earlier, later in itertools.pairwise(gaps))

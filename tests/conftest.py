"""Fixtures: loopback-only networking, the fakes, and the bot started as in production."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import menu
from bot.app import run
from bot.settings import Settings
from bridge.backend import Backend
from bridge.simulator import MidjourneyModel
from storage.db import Database
from storage.state import set_state
from tests.fakes.discord import FakeDiscord, ListenerView
from tests.fakes.telegram import BOT_ID, FakeTelegram
from tests.forkserver import ForkedBot, fork_bot
from tests.helpers import (
    CHANNEL_ID,
    DISCORD_BOT_TOKEN,
    DISCORD_USER_TOKEN,
    GUILD_ID,
    TELEGRAM_TOKEN,
    RunningBot,
    Stack,
    StartBot,
    environment,
)
from tests.postgres import PostgresServer, postgres_server

_LOOPBACK = {"127.0.0.1", "localhost", "::1", None}

# Every HTTP client the bot makes loads the CA bundle named by SSL_CERT_FILE when it is made
# (httpx: ~50 ms of CPU, two clients a start, in this process and in the bot processes that
# inherit the environment), though tests only speak plain HTTP to 127.0.0.1. A CA directory
# is read when a certificate is checked, that is never here.
if os.path.isdir("/etc/ssl/certs"):
    os.environ.pop("SSL_CERT_FILE", None)
    os.environ["SSL_CERT_DIR"] = "/etc/ssl/certs"

# Where PYTHONDONTWRITEBYTECODE is set (as on our machines), every process of a run (each
# xdist worker, each bot process) would compile the project's modules again: ~0.4 s of CPU
# a bot process. __pycache__ is ignored by git.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers a core. A test spends about two thirds of its time waiting (on
    the fakes, the bot's pacing, its processes), so one worker a core left a core idle half
    the run (2 workers: 207 s at 110 % of the 2 cores' CPU; 4 workers: 158 s, 150 %)."""
    return 2 * len(os.sched_getaffinity(0))


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that tries to reach a host other than this machine."""
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in _LOOPBACK:
            pytest.fail(f"network access to {name!r} is not allowed in tests")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The storage suite runs on both: a SQLite file, and a fresh database on real Postgres."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'storage.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return await server.new_database()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def model() -> MidjourneyModel:
    """Midjourney answering in milliseconds, with small pictures."""
    return MidjourneyModel(step_delay=0.01, image_size=256)


@pytest.fixture
def listener_sees() -> ListenerView:
    """What the listener bot is shown of Midjourney's messages. The strictest view by default:
    nothing on the critical path may rest on Discord showing it a nonce or interaction
    metadata. Tests parametrize this name to run in the other views too."""
    return "no_nonce_no_metadata"


@pytest.fixture
async def discord_fake(
    model: MidjourneyModel, listener_sees: ListenerView
) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(
        bot_token=DISCORD_BOT_TOKEN,
        user_token=DISCORD_USER_TOKEN,
        guild_id=GUILD_ID,
        channel_id=CHANNEL_ID,
        listener_sees=listener_sees,
    ) as fake:
        fake.behaviour = model
        yield fake


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database made once a worker as a bot's first start leaves it: the schema at
    head and the command menu of the fake's bot published. Each test's bot starts on a copy,
    which spares every start the schema's creation and ten setMyCommands calls. The first
    start itself is tested from an empty database (tests/test_migrations.py,
    tests/test_menu_e2e.py)."""
    path = tmp_path_factory.mktemp("template") / "bot.db"

    async def build() -> None:
        async with Database(f"sqlite+aiosqlite:///{path}") as db, db.transaction() as session:
            key, published = menu.state_key(BOT_ID), menu.fingerprint(menu.menus())
            await set_state(session=session, key=key, value=published)

    asyncio.run(build())
    return path


@pytest.fixture
def make_settings(
    tmp_path: Path, tg: FakeTelegram, database_template: Path
) -> Callable[..., Settings]:
    database = tmp_path / "bot.db"

    def make(**overrides: Any) -> Settings:
        if "database_url" not in overrides and not database.exists():
            shutil.copyfile(database_template, database)
        values: dict[str, Any] = {
            "telegram_bot_token": TELEGRAM_TOKEN,
            "telegram_api_url": tg.root_url,
            "midjourney_backend": "simulator",
            "database_url": f"sqlite+aiosqlite:///{database}",
            "progress_edit_interval_s": 0.05,
            "simulator_step_s": 0.01,
            # Telegram's flood limits 50 times faster, so pacing never slows a test down;
            # tests/test_flood_e2e.py checks the real proportions against a strict fake.
            "telegram_chat_rate": 50,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def discord_settings(
    make_settings: Callable[..., Settings], discord_fake: FakeDiscord
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "midjourney_backend": "discord",
            "discord_user_token": DISCORD_USER_TOKEN,
            "discord_bot_token": DISCORD_BOT_TOKEN,
            "discord_guild_id": GUILD_ID,
            "discord_channel_id": CHANNEL_ID,
            "discord_api_url": discord_fake.api_url,
            "discord_gateway_url": discord_fake.gateway_url,
            "discord_guild_ready_s": 0.01,
        }
        values.update(overrides)
        return make_settings(**values)

    return make


@pytest.fixture
async def start_bot(tg: FakeTelegram) -> AsyncIterator[StartBot]:
    """Start `bot.app.run` in this loop; wait until it polls Telegram and says it is ready;
    stop it at teardown."""
    running: list[RunningBot] = []

    async def start(settings: Settings, backend: Backend | None = None) -> RunningBot:
        stop, ready = asyncio.Event(), asyncio.Event()
        polls = len(tg.calls_of("getUpdates"))
        task = asyncio.create_task(
            run(settings, stop=stop, backend=backend, poll_timeout=1, on_ready=ready.set)
        )
        bot = RunningBot(settings, stop, task)
        running.append(bot)
        waiter = asyncio.create_task(tg.wait_for("getUpdates", count=polls + 1, timeout=15))
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            waiter.cancel()
            task.result()  # raises what start-up raised
        await waiter
        await asyncio.wait_for(ready.wait(), 15)
        return bot

    yield start
    for bot in running:
        await bot.close()


@pytest.fixture
def stack(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    start_bot: StartBot,
) -> Stack:
    """The fakes, the model and the bot on the Discord backend, ready to start."""
    return Stack(tg, discord_fake, model, discord_settings, start_bot)


# ---------------------------------------------------------------- the bot as a process


@pytest.fixture
async def bot_process(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start the bot in a process of its own (tests/forkserver.py); each start's log is kept
    in the test's directory."""
    processes: list[ForkedBot] = []

    async def spawn(settings: Settings) -> ForkedBot:
        log = tmp_path / f"bot-{len(processes) + 1}.log"
        process = await fork_bot(environment(settings), tmp_path, stderr=log)
        processes.append(process)
        return process

    yield spawn
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()

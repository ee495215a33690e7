"""What more than one test module uses: the fakes' names, the running bot, reading its replies,
a user imagining in a private chat, the Mini App's signed init data, a job with its quota.

Test modules import from here and never from each other (tests/test_layout.py checks it), so a
test module can change its own helpers without breaking another one. The fakes live in
tests/fakes/; the tools with a life of their own (a cable, a browser, a PostgreSQL server, a
simulated channel) keep a module each.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from bot.miniapp.initdata import sign
from bot.settings import Settings
from bridge.events import JobEvent, JobFailed, JobSucceeded
from bridge.simulator import MidjourneyModel
from bridge.simulator.video import knobs
from storage.db import Database
from storage.jobs import create_job
from storage.models import Job, QuotaEntry, QuotaState
from storage.quota import reserve
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import Call, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent

TELEGRAM_TOKEN = "123456:TEST-telegram-token-secret"
DISCORD_USER_TOKEN = "user-token-secret-abc"
DISCORD_BOT_TOKEN = "bot-token-secret-xyz"
GUILD_ID = "111111111111111111"
CHANNEL_ID = "222222222222222222"


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick, so parallel tests do not collide)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def small_videos(model: MidjourneyModel, side: int = 64, fps: int = 2) -> MidjourneyModel:
    """Midjourney's clips drawn tiny (a 5 s clip at 2 fps is 10 frames of 64 px): encoding
    the real 624 px at 24 fps takes seconds of CPU per clip, which a test does not need."""
    settings = knobs(model)
    settings.side, settings.fps, settings.step_side = side, fps, 32
    return model


# ---------------------------------------------------------------- the bot, running


@dataclass
class RunningBot:
    settings: Settings
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 15)


StartBot = Callable[..., Awaitable[RunningBot]]


def environment(settings: Settings) -> dict[str, str]:
    """The settings as the environment variables a deployment would set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_"))}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        if isinstance(value, frozenset):
            value = ",".join(map(str, value))
        env[name.upper()] = str(value)
    env["PYTHONPATH"] = str(ROOT)
    return env


@dataclass
class Stack:
    """The bot on the Discord backend between the two fakes: where most e2e tests start.
    `settings` makes the bot's settings (conftest's `discord_settings`); `start` starts it."""

    tg: FakeTelegram
    discord: FakeDiscord
    model: MidjourneyModel
    settings: Callable[..., Settings]
    start_bot: StartBot

    async def start(self, **overrides: Any) -> Settings:
        settings = self.settings(**overrides)
        await self.start_bot(settings)
        return settings


async def spawn_bot(
    env: dict[str, str], cwd: Path, stderr: Any = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """`python -m bot` as a deployment starts it, its errors piped for the test to read."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=stderr,
    )


# ---------------------------------------------------------------- what the bot sent


def keyboard(call: Call) -> list[list[dict[str, Any]]]:
    markup = call.params["reply_markup"]
    if isinstance(markup, str):
        markup = json.loads(markup)
    return markup["inline_keyboard"]


def button(photo: Call, label: str) -> dict[str, Any]:
    for row in keyboard(photo):
        for key in row:
            if key["text"] == label:
                return key
    raise AssertionError(f"no {label!r} in {[k['text'] for r in keyboard(photo) for k in r]}")


def reply_to(call: Call) -> int | None:
    """The message a send replies to; for an edit, the one its message replies to."""
    if call.method.lower().startswith("edit"):
        reply = (call.result or {}).get("reply_to_message")
        return reply["message_id"] if reply else None
    params = call.params.get("reply_parameters")
    if isinstance(params, str):
        params = json.loads(params)
    return params["message_id"] if params else None


def photo_bytes(call: Call) -> bytes:
    return next(iter(call.files.values()))


def pixels(data: bytes) -> bytes:
    """A picture's pixels: Telegram gets Midjourney's WebP grids as PNG, the same picture."""
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


# ---------------------------------------------------------------- a user imagining


def imagine(tg: FakeTelegram, user_id: int, prompt: str, **user: Any) -> dict[str, Any]:
    """User `user_id` sends `/imagine prompt` in their private chat; returns the request."""
    sender = tg.user(user_id, **user)
    return tg.send_text(tg.private_chat(sender), sender, f"/imagine {prompt}")


async def imagine_in(tg: FakeTelegram, chats: int, first_id: int = 140) -> set[int]:
    """One /imagine from each of `chats` users; returns their chat ids."""
    for n in range(chats):
        imagine(tg, first_id + n, f"a kite number {n}")
    return set(range(first_id, first_id + chats))


async def one_prompt_from_two_chats(
    tg: FakeTelegram, discord: FakeDiscord, chats: tuple[int, int], prompt: str
) -> None:
    """The same /imagine from two private chats, the second once Discord has the first."""
    imagine(tg, chats[0], prompt)
    await discord_fake_wait(discord, 1)
    imagine(tg, chats[1], prompt)


async def discord_fake_wait(fake: FakeDiscord, count: int, seconds: float = 5) -> None:
    """Wait until the fake has received `count` interactions."""
    for _ in range(int(seconds * 100)):
        if len(fake.interactions) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {len(fake.interactions)} interactions arrived")


class PrivateChat:
    """A Telegram user in their private chat with the bot."""

    def __init__(self, tg: FakeTelegram, user_id: int, **user: Any) -> None:
        self.tg = tg
        self.user = tg.user(user_id, **user)
        self.room = tg.private_chat(self.user)

    def say(self, line: str) -> dict[str, Any]:
        return self.tg.send_text(self.room, self.user, line)

    def press(self, sent: Call, label: str) -> None:
        """Tap the button labelled `label` under the message `sent` made."""
        message = self.tg.message(self.room["id"], sent.result["message_id"])
        assert message is not None
        self.tg.press_button(self.room, self.user, message, button(sent, label)["callback_data"])

    async def photo(self, count: int) -> Call:
        """The `count`-th result the bot has delivered (to anyone)."""
        return (await self.tg.wait_for_results(count=count))[-1]


class Session(PrivateChat):
    """A user in a private chat with the bot, and the results they have received."""

    def __init__(self, tg: FakeTelegram, discord: FakeDiscord, model: MidjourneyModel) -> None:
        super().__init__(tg, 70)
        self.discord, self.model = discord, model
        self.chat = self.room

    @classmethod
    def of(cls, stack: Stack) -> Session:
        return cls(stack.tg, stack.discord, stack.model)

    async def imagine(self, prompt: str) -> Call:
        self.say(f"/imagine {prompt}")
        return (await self.tg.wait_for_results())[-1]

    async def tap(self, photo: Call, label: str) -> tuple[dict[str, Any], Call]:
        """Tap a button; return Discord's interaction payload and the resulting photo."""
        photos = len(self.tg.results())
        sent = len(self.discord.interactions)
        self.press(photo, label)
        result = await self.photo(photos + 1)
        assert len(self.discord.interactions) == sent + 1
        return self.discord.interactions[-1], result

    def discord_message_of(self, photo: Call) -> dict[str, Any]:
        """The Midjourney message whose picture this Telegram photo shows."""
        # Telegram gets a WebP grid as PNG: the same pixels, other bytes.
        sent = pixels(photo_bytes(photo))
        for result in self.model.results.values():
            if pixels(result["image"]) == sent:
                return result["message"]
        raise AssertionError("photo matches no Midjourney result")


# ---------------------------------------------------------------- jobs and the quota ledger


class Recorder:
    """A dispatcher's event sink that tests can wait on."""

    def __init__(self) -> None:
        self.events: list[JobEvent] = []
        self._changed = asyncio.Condition()

    async def __call__(self, event: JobEvent) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def until(self, kinds: type | tuple[type, ...], count: int = 1) -> list[JobEvent]:
        def seen() -> list[JobEvent]:
            return [e for e in self.events if isinstance(e, kinds)]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(seen()) >= count), 10)
        return seen()

    async def finished_so_far(self) -> list[JobEvent]:
        return [e for e in self.events if isinstance(e, JobSucceeded | JobFailed)]

    async def finished(self, count: int) -> list[JobEvent]:
        return await self.until((JobSucceeded, JobFailed), count)


async def add_job(db: Database, **fields: object) -> int:
    """A job of chat 1 with its quota reserved, as the bot leaves it for the dispatcher."""
    async with db.transaction() as session:
        job = await create_job(session=session, job=Job(chat_id=1, user_id=1, **fields))
        assert job.id is not None
        await reserve(
            session=session,
            job_id=job.id,
            chat_id=1,
            user_id=1,
            day="d",
            units=1,
            chat_limit=None,
            user_limit=None,
        )
    return job.id


async def quota_state(db: Database, job_id: int) -> QuotaState:
    async with db.transaction() as session:
        entry = (
            await session.exec(
                QuotaEntry.__table__.select().where(QuotaEntry.job_id == job_id)  # type: ignore[attr-defined]
            )
        ).one()
    return QuotaState(entry.state)


# ---------------------------------------------------------------- the Mini App

REGION_LABEL = "🖌 Vary region"
PUBLIC_URL = "https://paint.example.test/mj"  # what Telegram would open; tests go to 127.0.0.1


def region_key(photo: Call) -> dict[str, Any]:
    return button(photo, REGION_LABEL)


def token_of(key: dict[str, Any]) -> str:
    url = key["web_app"]["url"] if "web_app" in key else key["url"]
    query = parse_qs(urlsplit(url).query)
    return (query.get("t") or query["startapp"])[0]


def init_data(
    user: dict[str, Any],
    *,
    age: float = 5,
    token: str = TELEGRAM_TOKEN,
    start_param: str | None = None,
) -> str:
    """Init data as Telegram signs it for this user."""
    fields = {
        "auth_date": str(int(time.time() - age)),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {k: user[k] for k in ("id", "first_name", "language_code") if k in user},
            separators=(",", ":"),
        ),
    }
    if start_param:
        fields["start_param"] = start_param
    return sign(fields, token)

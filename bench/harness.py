"""The stage: fake Telegram and fake Discord in this process, the real bot in a child process
(in `--quick` runs, a task of this process: bench/inprocess.py).

Timestamps on both sides use `time.monotonic()`, the clock of the fake Telegram's `Call.at`
(CLOCK_MONOTONIC on Linux is system-wide, so a child process reads the same clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web
from PIL import Image

from bench.common import ROOT, rss_mb
from bridge.parser import content_prompt
from bridge.simulator import Channel, MidjourneyModel
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import STATUS_EDITS, Call, FakeTelegram, JSONDict

if TYPE_CHECKING:
    from bench.inprocess import InProcessBot

TELEGRAM_TOKEN = "123456:BENCH-telegram-token"
DISCORD_USER_TOKEN = "bench-user-token"
DISCORD_BOT_TOKEN = "bench-bot-token"
GUILD_ID = "111111111111111111"
CHANNEL_ID = "222222222222222222"
BOT_USERNAME = "mj_test_bot"

# TELEGRAM_CHAT_RATE of runs that measure the bridge rather than Telegram's pacing: every flood
# limit of the bot's rate limiter 1,000 times Telegram's (e.g. 30,000 messages a second overall).
UNPACED_RATE = 1000.0

# Calls that are plumbing, not work done for a job (figure "Telegram API calls per job").
PLUMBING = frozenset({"getupdates", "getme", "setmycommands", "deletewebhook"})


def is_progress_edit(call: Call) -> bool:
    """An edit of the job's one message while Midjourney draws: its caption's percentage, or a
    progress preview put into the photo (editMessageMedia without a result's keys)."""
    if call.method not in STATUS_EDITS or call.carries_result:
        return False
    return call.method == "editMessageMedia" or "%" in call.text


def is_status_edit(call: Call) -> bool:
    """The status message edited to show the job's place in the queue."""
    return call.method in STATUS_EDITS and "Queued" in call.text


@dataclass(eq=False)
class BenchModel(MidjourneyModel):
    """The simulator's Midjourney, plus a gate that holds every job until opened and a log of
    every change of `in_flight` (for the time-weighted slot utilization)."""

    gate: asyncio.Event | None = None
    in_flight_log: list[tuple[float, int]] = field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "in_flight":
            log = self.__dict__.get("in_flight_log")
            if log is not None:
                log.append((time.monotonic(), value))

    async def _answer(self, payload: dict[str, Any], discord: Channel) -> None:
        if self.gate is not None:
            await self.gate.wait()
        await super()._answer(payload, discord)


class LeanTelegram(FakeTelegram):
    """FakeTelegram that stores a sent photo without making its thumbnail.

    Decoding a 2 MB grid and encoding a JPEG takes the fake's event loop tens of milliseconds
    per photo, during which it reads no other upload and serves no CDN download (the fake
    Discord shares the loop): that is the fake's cost, which would be counted as the bot's.
    """

    def _store_photo(self, data: bytes) -> list[JSONDict]:
        with Image.open(BytesIO(data)) as image:  # reads the header only
            width, height = image.size
            extension = f".{(image.format or 'jpg').lower()}"
        sizes = [self._photo_size(data, width, height, extension)]
        self._photo_sets[sizes[0]["file_id"]] = sizes
        return sizes


class TimedDiscord(FakeDiscord):
    """FakeDiscord that stamps interaction arrivals and the dispatch of each final message."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrivals: list[float] = []  # monotonic time each POST /interactions came in
        self.finals: dict[str, float] = {}  # prompt -> when its result went onto the gateway
        self.previews = 0  # progress messages that carried a preview picture

    async def _post_interaction(self, request: web.Request) -> web.Response:
        self.arrivals.append(time.monotonic())
        return await super()._post_interaction(request)

    async def dispatch(self, event: str, data: dict[str, Any], *, audience: str = "all") -> None:
        # A MESSAGE_CREATE with an attachment is Midjourney's final message; stamp it right
        # before it is framed and written to the gateway sockets.
        if event == "MESSAGE_CREATE" and data.get("attachments"):
            prompt = content_prompt(str(data.get("content") or ""))
            if prompt is not None:
                self.finals.setdefault(prompt, time.monotonic())
        elif event == "MESSAGE_UPDATE" and data.get("attachments"):
            self.previews += 1
        await super().dispatch(event, data, audience=audience)


class BotProcess:
    """`bench.botproc` in a child process; its stderr goes to a file shown if it fails."""

    def __init__(
        self,
        settings: dict[str, Any],
        *,
        trace_path: str | None = None,
        profile_path: str | None = None,
    ) -> None:
        config = {
            "settings": settings,
            "trace_path": trace_path,
            "profile_path": profile_path,
        }
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix="bench-bot-", suffix=".log", delete=False
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.botproc", json.dumps(config)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss(self) -> dict[str, float]:
        return rss_mb(self.proc.pid)

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = Path(self._log.name).read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the bot exited with {self.proc.returncode}:\n{self.log_tail()}")

    def warnings(self) -> list[str]:
        """WARNING/ERROR lines the bot logged (kept in the results, e.g. flood-control hits)."""
        self._log.flush()
        text = Path(self._log.name).read_text(errors="replace").splitlines()
        return [line for line in text if " WARNING " in line or " ERROR " in line]

    async def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: bot.app.run stops cleanly
            for _ in range(200):
                if self.proc.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            else:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        with contextlib.suppress(OSError):
            os.unlink(self._log.name)


@dataclass
class StageOptions:
    model: BenchModel
    concurrency: int = 3
    progress_interval: float = 3.0  # the production default
    flood_limits: bool = False
    window_scale: float = 1.0
    # False: the bot's own rate limiter with every Telegram limit scaled UNPACED_RATE times
    # (TELEGRAM_CHAT_RATE), so that only the bridge is measured.
    telegram_pacing: bool = True
    trace_path: str | None = None  # bench/trace.py timestamps, written when the bot stops
    profile_path: str | None = None  # cProfile stats of the bot process
    # `--quick`, whose figures mean nothing: the bot is a task of this process
    # (bench/inprocess.py) and does not wait for discord.py's guild cache at start.
    smoke: bool = False
    extra_settings: dict[str, Any] = field(default_factory=dict)


class Stage:
    """Both fakes plus the bot, started together and torn down together."""

    def __init__(self, options: StageOptions) -> None:
        self.options = options
        self.model = options.model
        self.tg = LeanTelegram(
            bot_username=BOT_USERNAME,
            flood_limits=options.flood_limits,
            window_scale=options.window_scale,
        )
        self.discord = TimedDiscord(
            bot_token=DISCORD_BOT_TOKEN,
            user_token=DISCORD_USER_TOKEN,
            guild_id=GUILD_ID,
            channel_id=CHANNEL_ID,
        )
        self.discord.behaviour = self.model
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-")
        self.bot: BotProcess | InProcessBot | None = None

    def settings(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "telegram_bot_token": TELEGRAM_TOKEN,
            "telegram_api_url": self.tg.root_url,
            "midjourney_backend": "discord",
            "discord_user_token": DISCORD_USER_TOKEN,
            "discord_bot_token": DISCORD_BOT_TOKEN,
            "discord_guild_id": GUILD_ID,
            "discord_channel_id": CHANNEL_ID,
            "discord_api_url": self.discord.api_url,
            "discord_gateway_url": self.discord.gateway_url,
            "database_url": f"sqlite+aiosqlite:///{Path(self._tmp.name) / 'bot.db'}",
            "mj_concurrency": self.options.concurrency,
            # A benchmark's backlog must wait, never be turned away or run out of quota.
            "mj_queue_limit": 10_000,
            "chat_daily_quota": 1_000_000,
            "user_daily_quota": 1_000_000,
            "progress_edit_interval_s": self.options.progress_interval,
            "log_level": "WARNING",
        }
        if not self.options.telegram_pacing:
            values["telegram_chat_rate"] = UNPACED_RATE
        if self.options.smoke:
            values["discord_guild_ready_s"] = 0.01  # as tests/conftest.py's bots
        values.update(self.options.extra_settings)
        return values

    async def __aenter__(self) -> Self:
        await self.tg.start()
        await self.discord.start()
        if self.options.smoke:
            if self.options.trace_path or self.options.profile_path:
                raise ValueError("tracing and profiling need the bot in its own process")
            # Imported here: a full run's bench process never loads the bot.
            from bench.inprocess import InProcessBot

            self.bot = InProcessBot(self.settings())
        else:
            self.bot = BotProcess(
                self.settings(),
                trace_path=self.options.trace_path,
                profile_path=self.options.profile_path,
            )
        # Ready once it long-polls: run() starts the dispatcher (gateway READY) before polling.
        await self.until(lambda: any(c.method == "getUpdates" for c in self.tg.calls), 60)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.bot is not None:
                await self.bot.stop()
        finally:
            await self.discord.close()
            await self.tg.close()
            self._tmp.cleanup()

    async def until(
        self,
        condition: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 (a deadline on a polling loop, not on one await)
        what: str = "a condition",
    ) -> None:
        """Poll `condition` every 10 ms. Polling never moves a timestamp: those are taken by the
        fakes when things happen."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.bot is not None:
                self.bot.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
            await asyncio.sleep(0.01)

    def job_rows(self) -> list[tuple[str, str, bool, bool]]:
        """(prompt, status, result stored, delivered) of every job in the bot's database.

        Read from this process over a read-only connection: WAL lets it read while the bot
        writes."""
        path = Path(self._tmp.name) / "bot.db"
        if not path.exists():
            return []
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT prompt, status, result_url IS NOT NULL, delivered_at IS NOT NULL FROM job"
            ).fetchall()
        return [(str(p), str(s).lower(), bool(r), bool(d)) for p, s, r, d in rows]

    # -- playing the users -------------------------------------------------------------------

    def imagine(self, chat: dict[str, Any], user: dict[str, Any], prompt: str) -> None:
        command = "/imagine" if chat["type"] == "private" else f"/imagine@{BOT_USERNAME}"
        self.tg.send_text(chat, user, f"{command} {prompt}")

    # -- reading the transcript --------------------------------------------------------------

    def calls(self, method: str, *, ok_only: bool = True) -> Iterator[Call]:
        lowered = method.lower()
        for call in self.tg.calls:
            if call.method.lower() == lowered and (call.ok or not ok_only):
                yield call

    def count(self, method: str, predicate: Callable[[Call], bool] | None = None) -> int:
        return sum(1 for call in self.calls(method) if predicate is None or predicate(call))

    def photos_by_prompt(self) -> dict[str, Call]:
        """The first delivered result of each job (editMessageMedia into its message); its
        caption is the job's prompt."""
        found: dict[str, Call] = {}
        for call in self.tg.results():
            found.setdefault(str(call.caption), call)
        return found


def unique_prompt(run: str, n: int) -> str:
    # Unique per job: the caption of the photo and the final message both carry it, so the two
    # timestamps of one job can be paired without looking into the bot's database.
    return f"bench {run} job {n:05d} a lighthouse at dusk --ar 1:1"

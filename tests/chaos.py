"""A seeded, reproducible storm of faults around the real bot process, checked from outside.

Chats send /imagine requests (and tap U buttons of their grids) while the fakes misbehave:
Telegram answers 429/5xx, drops connections and is down for a moment; Discord answers 429, an
HTML 502, a plain-text 503, or a 502 after it took the interaction; CDN downloads fail; both
gateway sessions are closed; and the bot is SIGKILLed inside a running job, right after a
getUpdates, and inside a result's editMessageMedia, then started again. Once the faults stop,
what the users see and the ledger must show: every request answered once, in its own chat,
nothing lost, nothing twice, every quota unit settled.

    .venv/bin/python -m tests.chaos --seed 7 --requests 80 --chats 8   # the long run

tests/test_chaos_e2e.py runs one short seed in `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.captions import action_text, caption_for
from bot.settings import Settings
from bot.texts import texts
from bridge.simulator import MidjourneyModel
from storage.db import Database
from storage.models import Job, QuotaEntry, QuotaState
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import Call, FakeTelegram
from tests.forkserver import ForkedBot, fork_bot
from tests.helpers import (
    CHANNEL_ID,
    DISCORD_BOT_TOKEN,
    DISCORD_USER_TOKEN,
    GUILD_ID,
    TELEGRAM_TOKEN,
    environment,
)

JSONDict = dict[str, Any]
_INTERNAL_ERROR = "Something went wrong"
_TELEGRAM_METHODS = (
    "sendPhoto",
    "editMessageMedia",
    "editMessageCaption",
    "sendMessage",
    "getUpdates",
    "answerCallbackQuery",
)
_KILLS = ("job", "poll", "send")


@dataclass
class Request:
    """What a user asked for, and what the result they should see says."""

    chat_id: int
    caption: str
    message_id: int | None = None  # the user's message (None for a tap)


def words(message: JSONDict) -> str:
    """A result's caption without the line that names the requester in groups."""
    return str(message.get("caption") or "").split("\n👤", 1)[0]


@dataclass
class Report:
    seed: int
    requests: int
    kills: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def __str__(self) -> str:
        verdict = "OK" if not self.problems else f"{len(self.problems)} problem(s)"
        lines = [
            f"chaos seed {self.seed}: {self.requests} requests, {len(self.faults)} faults,"
            f" kills {self.kills}, {self.seconds:.1f} s: {verdict}",
            *(f"  - {problem}" for problem in self.problems),
        ]
        return "\n".join(lines)


def _is_result(call: Call) -> bool:
    return call.carries_result  # a progress preview (✖️ Cancel alone) is none


class _Bot:
    """The bot as a process: started, SIGKILLed, started again."""

    def __init__(self, settings: Settings, workdir: Path) -> None:
        self._env = environment(settings)
        self._workdir = workdir
        self.process: ForkedBot | None = None
        self.starts = 0

    async def start(self) -> None:
        await self.kill()  # never two at once
        self.starts += 1
        # Each start's log stays beside the database while the run lasts (CHAOS_KEEP keeps it).
        log_path = self._workdir / f"bot-{self.starts}.log"
        self.process = await fork_bot(self._env, self._workdir, stderr=log_path)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                await self.kill()


class Chaos:
    def __init__(
        self,
        tg: FakeTelegram,
        discord: FakeDiscord,
        model: MidjourneyModel,
        bot: _Bot,
        rng: random.Random,
        report: Report,
    ) -> None:
        self.tg, self.discord, self.model, self.bot = tg, discord, model, bot
        self.rng, self.report = rng, report
        self.requests: list[Request] = []
        self._armed: list[str] = []  # "poll" or "send": the next such call kills the bot
        self._tasks: set[asyncio.Task[None]] = set()
        tg.on_call = self._on_call

    # -- kills ---------------------------------------------------------------------------

    async def _on_call(self, call: Call) -> None:
        if "send" in self._armed and _is_result(call) and self.bot.alive:
            # Telegram takes the edit (the fake carries it out after this); the bot dies first.
            self._armed.remove("send")
            await self._kill_and_restart("send")
        elif (
            "poll" in self._armed
            and call.method.lower() == "getupdates"
            and self.tg._pending_updates  # this poll hands updates over: die just after
            and self.bot.alive
        ):
            self._armed.remove("poll")
            self._spawn(self._later(0.02, self._kill_and_restart("poll")))

    async def _kill_and_restart(self, kind: str) -> None:
        """SIGKILL; the supervisor starts the bot again."""
        if not self.bot.alive:
            return
        await self.bot.kill()
        self.report.kills.append(kind)

    async def supervise(self) -> None:
        """Start the bot again whenever it is down (killed here, or it gave up at its start
        while Telegram was down), as a process manager would: one process at a time."""
        while True:
            if not self.bot.alive:
                await asyncio.sleep(0.3)
                if not self.bot.alive:
                    await self.bot.start()
            await asyncio.sleep(0.05)

    async def _later(self, delay: float, work: Awaitable[None]) -> None:
        await asyncio.sleep(delay)
        await work

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- faults --------------------------------------------------------------------------

    def _telegram_fault(self) -> None:
        method = self.rng.choice(_TELEGRAM_METHODS)
        code = self.rng.choice([429, 500, 502, 0])
        times = self.rng.randint(1, 2)
        after = code == 0 and method != "getUpdates" and self.rng.random() < 0.5
        self.tg.fail_next(method, error_code=code, retry_after=0.05, times=times, after=after)
        self.report.faults.append(f"telegram {method} {code or 'drop'}{' late' if after else ''}")

    def _discord_fault(self) -> None:
        choice = self.rng.randrange(6)
        if choice == 0:
            self.discord.fail_next("POST", r"/interactions$", status=429, retry_after=0.05)
            name = "interaction 429"
        elif choice == 1:
            self.discord.fail_next(
                "POST", r"/interactions$", status=502, text="<html>cloudflare 502</html>"
            )
            name = "interaction html 502"
        elif choice == 2:
            self.discord.fail_next(
                "POST",
                r"/interactions$",
                status=503,
                text="upstream reset",
                content_type="text/plain",
            )
            name = "interaction text 503"
        elif choice == 3:
            self.discord.fail_next(
                "POST", r"/interactions$", status=502, text="<html>502</html>", late=True
            )
            name = "interaction late 502"
        elif choice == 4:
            status = self.rng.choice([429, 503])
            self.discord.fail_next(
                "GET",
                r"^/cdn/attachments/",
                status=status,
                retry_after=0.05,
                text="busy",
                content_type="text/plain",
                times=self.rng.randint(1, 2),
            )
            name = f"cdn {status}"
        else:
            self._spawn(self.discord.drop_connections(self.rng.choice(["bot", "user"])))
            name = "gateway close"
        self.report.faults.append(f"discord {name}")

    async def _outage(self, seconds: float) -> None:
        self.report.faults.append(f"telegram outage {seconds:.1f} s")
        self.tg.down = True
        await asyncio.sleep(seconds)
        self.tg.down = False

    # -- users ---------------------------------------------------------------------------

    def _imagine(self, chat: JSONDict, user: JSONDict, n: int) -> None:
        prompt = f"chaos {self.report.seed} job {n} a kite over the sea"
        command = "/imagine" if chat["type"] == "private" else "/imagine@mj_test_bot"
        sent = self.tg.send_text(chat, user, f"{command} {prompt}")
        self.requests.append(Request(chat["id"], prompt, sent["message_id"]))

    def _tap(self, chat: JSONDict, user: JSONDict) -> None:
        """U1 on one of the chat's grids that nobody upscaled yet."""
        tapped = {r.caption for r in self.requests}
        upscaled = action_text(texts("en"), "upscale:1")
        for message in self.tg.bot_messages(chat["id"]):
            caption = words(message)
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            key = next((k for row in rows for k in row if k.get("text") == "U1"), None)
            if key is None or f"{upscaled} — {caption}" in tapped:
                continue
            self.tg.press_button(chat, user, message, key["callback_data"])
            self.requests.append(Request(chat["id"], f"{upscaled} — {caption}"))
            return

    # -- the run -------------------------------------------------------------------------

    async def run(self, chats: list[tuple[JSONDict, JSONDict]], requests: int) -> None:
        window = 0.35 * requests  # seconds over which requests and faults are spread
        kills = max(3, requests // 10)
        plan: list[tuple[float, str]] = [
            (self.rng.uniform(0, window), "imagine") for _ in range(requests)
        ]
        plan += [(self.rng.uniform(0.5, window), "telegram") for _ in range(requests // 3)]
        plan += [(self.rng.uniform(0.5, window), "discord") for _ in range(requests // 3)]
        plan += [(self.rng.uniform(1.0, window), "tap") for _ in range(max(1, requests // 8))]
        plan += [(self.rng.uniform(0.5, window), "outage")]
        kinds = [_KILLS[n % len(_KILLS)] for n in range(kills)]
        self.rng.shuffle(kinds)
        plan += [(self.rng.uniform(1.0, 0.7 * window), f"kill-{kind}") for kind in kinds]
        plan.sort()
        started = time.monotonic()
        n = 0
        for at, what in plan:
            await asyncio.sleep(max(0.0, started + at - time.monotonic()))
            chat, user = self.rng.choice(chats)
            if what == "imagine":
                self._imagine(chat, user, n)
                n += 1
            elif what == "tap":
                self._tap(chat, user)
            elif what == "telegram":
                self._telegram_fault()
            elif what == "discord":
                self._discord_fault()
            elif what == "outage":
                self._spawn(self._outage(self.rng.uniform(0.5, 1.5)))
            elif what == "kill-job":
                self._spawn(self._kill_and_restart("job"))
            else:
                self._armed.append(what.removeprefix("kill-"))

    async def calm(self) -> None:
        """The faults stop; a bot is running (a kill still armed may strike while the last
        results are delivered)."""
        self.tg._faults.clear()
        self.discord._faults.clear()
        self.tg.down = False
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def wait_settled(self, timeout: float) -> None:  # noqa: ASYNC109
        """Until every request shows its result, or `timeout`."""
        with contextlib.suppress(TimeoutError):
            async with self.tg._calls_changed, asyncio.timeout(timeout):
                await self.tg._calls_changed.wait_for(self.settled)
        # A late kill: the supervisor's restart delivers what is left.
        while not self.bot.alive:  # noqa: ASYNC110 - the process is polled, it has no event
            await asyncio.sleep(0.1)

    def shown(self, chat_id: int | None = None) -> list[JSONDict]:
        """Bot messages that show a picture with buttons, as the users see them now."""
        chats = [chat_id] if chat_id is not None else list(self.tg._messages)
        return [
            message
            for chat in chats
            for message in self.tg.bot_messages(chat)
            if message.get("photo") and message.get("reply_markup")
        ]

    def settled(self) -> bool:
        captions = [words(m) for m in self.shown()]
        return all(r.caption in captions for r in self.requests)

    async def check(self, settings: Settings) -> None:
        problems = self.report.problems
        for request in self.requests:
            mine = [m for m in self.shown(request.chat_id) if words(m) == request.caption]
            elsewhere = [
                m
                for m in self.shown()
                if words(m) == request.caption and m["chat"]["id"] != request.chat_id
            ]
            if not mine:
                problems.append(f"lost: {request.caption!r} in chat {request.chat_id}")
            elif len(mine) > 1:
                problems.append(f"twice: {request.caption!r} shown {len(mine)} times")
            if elsewhere:
                problems.append(f"misdelivered: {request.caption!r} in another chat")
            if request.message_id is not None and mine:
                reply = mine[0].get("reply_to_message") or {}
                if reply.get("message_id") != request.message_id:
                    problems.append(f"not a reply to its request: {request.caption!r}")
        for call in self.tg.calls:
            if _INTERNAL_ERROR in call.text:  # a text, or a caption (a media edit's too)
                problems.append(f"untrue answer in chat {call.chat_id}: {_INTERNAL_ERROR}")
        async with Database(settings.database_url) as db, db.transaction() as session:
            jobs = {job.id: job for job in (await session.exec(select(Job))).all()}
            entries = (await session.exec(select(QuotaEntry))).all()
        by_prompt: dict[str, int] = {}
        for job in jobs.values():
            # What the user should see for this job, by the bot's own wording.
            caption = words({"caption": caption_for(job, texts(job.language), downscaled=False)})
            by_prompt[caption] = by_prompt.get(caption, 0) + 1
            if job.delivered_at is None:
                problems.append(f"job {job.id} ({job.status}) never delivered")
        for request in self.requests:
            made = by_prompt.get(request.caption, 0)
            if made != 1:
                problems.append(f"{made} jobs for {request.caption!r}")
        for entry in entries:
            job = jobs[entry.job_id]
            if entry.state is QuotaState.RESERVED:
                problems.append(f"job {job.id}: quota still reserved")
            elif (entry.state is QuotaState.CHARGED) != (job.status.value == "succeeded"):
                problems.append(f"job {job.id}: {entry.state} but {job.status}")


async def run_chaos(seed: int, requests: int, chats: int = 4, settle_s: float = 30.0) -> Report:
    """One seeded run: the fakes here, the bot as a process; returns what was found."""
    rng = random.Random(seed)
    report = Report(seed, requests)
    started = time.monotonic()
    model = MidjourneyModel(step_delay=0.05, image_size=128, seed=seed)
    keep = bool(os.environ.get("CHAOS_KEEP"))
    tmp = tempfile.mkdtemp(prefix="chaos-")
    if keep:
        print(f"chaos files in {tmp}", file=sys.stderr)
    with contextlib.ExitStack() as cleanup:
        if not keep:
            cleanup.callback(shutil.rmtree, tmp, ignore_errors=True)
        workdir = Path(tmp)
        async with (
            FakeTelegram() as tg,
            FakeDiscord(
                bot_token=DISCORD_BOT_TOKEN,
                user_token=DISCORD_USER_TOKEN,
                guild_id=GUILD_ID,
                channel_id=CHANNEL_ID,
            ) as discord,
        ):
            discord.behaviour = model
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                telegram_bot_token=TELEGRAM_TOKEN,
                telegram_api_url=tg.root_url,
                midjourney_backend="discord",
                discord_user_token=DISCORD_USER_TOKEN,
                discord_bot_token=DISCORD_BOT_TOKEN,
                discord_guild_id=GUILD_ID,
                discord_channel_id=CHANNEL_ID,
                discord_api_url=discord.api_url,
                discord_gateway_url=discord.gateway_url,
                database_url=f"sqlite+aiosqlite:///{workdir / 'bot.db'}",
                progress_edit_interval_s=0.05,
                telegram_chat_rate=50,
                mj_concurrency=3,
                mj_queue_limit=1000,  # a refusal for a full queue is true, but not the test
                mj_job_timeout_s=20,
            )
            users = [tg.user(9000 + n) for n in range(chats)]
            rooms: list[tuple[JSONDict, JSONDict]] = [(tg.private_chat(u), u) for u in users]
            group = tg.group(-9000, "Chaos")
            rooms.append((group, users[0]))
            bot = _Bot(settings, workdir)
            chaos = Chaos(tg, discord, model, bot, rng, report)
            await bot.start()
            await tg.wait_for("getUpdates", timeout=30)
            supervisor = asyncio.create_task(chaos.supervise())
            try:
                await chaos.run(rooms, requests)
                await chaos.calm()
                await chaos.wait_settled(settle_s)
                await asyncio.sleep(0.5)  # a late duplicate would show by now
                await chaos.check(settings)
                if keep:
                    lines = [
                        f"{c.at:.2f} {c.method} {c.chat_id} {str(c.params)[:150]} -> "
                        f"{(c.response or {}).get('ok')} {str(c.result)[:80]}"
                        for c in tg.calls
                    ]
                    (workdir / "telegram.log").write_text("\n".join(lines))
            finally:
                supervisor.cancel()
                await asyncio.gather(supervisor, return_exceptions=True)
                await bot.stop()
    report.seconds = time.monotonic() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=80)
    parser.add_argument("--chats", type=int, default=8)
    parser.add_argument("--runs", type=int, default=1, help="seeds seed, seed+1, ...")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    failed = 0
    for seed in range(args.seed, args.seed + args.runs):
        report = asyncio.run(run_chaos(seed, args.requests, args.chats, settle_s=120))
        print(report, flush=True)
        failed += bool(report.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

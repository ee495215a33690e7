"""Benchmarks that drive the real bot end to end: a child process against the fakes. Here: the
sizes, the settling of a run, and the latency (figures 1 and 4); bench/backlog.py,
bench/flood.py and bench/memory.py hold the others.

Each run starts a fresh stage (fakes, temporary database, bot process; in `--quick` runs the bot
in this process) so runs cannot leak into one another.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.common import Figure, percentile, summary_ms
from bench.harness import (
    PLUMBING,
    UNPACED_RATE,
    BenchModel,
    Stage,
    StageOptions,
    is_progress_edit,
    is_status_edit,
    unique_prompt,
)
from tests.fakes.telegram import Call

JSON = dict[str, Any]


@dataclass(frozen=True)
class Sizes:
    """How big each end-to-end run is; `--quick` shrinks everything to seconds."""

    latency_jobs: int = 100
    latency_concurrency: int = 30
    util_jobs: int = 60
    util_concurrency: int = 3
    util_job_s: float = 1.0
    util_stress_job_s: float = 0.05
    flood_jobs_per_chat: int = 10
    flood_step_s: float = 2.0  # Midjourney's time per progress step, at Telegram's real scale
    # Telegram's limits, the bot's pacing, Midjourney and the progress interval all run this
    # many times faster, so the backlog drains in seconds rather than minutes.
    flood_time_scale: float = 10.0
    memory_queued: int = 1000
    memory_warmup: int = 200
    memory_measured: int = 2000
    memory_batch: int = 100
    latency_step_s: float = 1.5  # SIMULATOR_STEP_S's default
    # Each job's step lasts latency_step_s times a factor drawn from 1 ± this (seeded):
    # Midjourney's jobs vary in length, so their results do not all land at once.
    latency_spread: float = 0.5
    # How long the bot must have made no Telegram call before a run's transcript is read.
    quiet_s: float = 0.5
    # TELEGRAM_CHAT_RATE of the utilization runs; None: Telegram's own pacing.
    util_chat_rate: float | None = None
    # The simulator's progress previews (bridge/simulator/previews.py); `--previews off`.
    previews: bool = True
    # A smoke run (bench/harness.py StageOptions.smoke): its figures mean nothing.
    smoke: bool = False

    @classmethod
    def quick(cls) -> Sizes:
        # Each run still has more jobs than slots, so something queues and refills.
        return cls(
            latency_jobs=3,
            latency_concurrency=2,
            util_jobs=4,
            util_concurrency=2,
            util_job_s=0.1,
            flood_jobs_per_chat=1,
            memory_queued=4,
            memory_warmup=2,
            memory_measured=4,
            memory_batch=2,
            latency_step_s=0.1,
            quiet_s=0.2,
            util_chat_rate=10.0,
            smoke=True,
        )


def private_chats(stage: Stage, count: int, first_id: int) -> list[tuple[JSON, JSON]]:
    pairs = []
    for n in range(count):
        user = stage.tg.user(first_id + n)
        pairs.append((stage.tg.private_chat(user), user))
    return pairs


def calls_of_jobs(stage: Stage) -> list[Call]:
    """Every call the bot made for jobs: no plumbing, no progress edits."""
    return [
        call
        for call in stage.tg.calls
        if call.method.lower() not in PLUMBING and not is_progress_edit(call)
    ]


def _last_call_at(stage: Stage) -> float:
    """When the bot last called Telegram, long polls aside."""
    busy = [c.at for c in stage.tg.calls[-50:] if c.method.lower() != "getupdates"]
    return max(busy, default=0.0)


async def quiet(stage: Stage, seconds: float, timeout: float) -> None:  # noqa: ASYNC109
    """Wait until the bot has made no Telegram call (long polls aside) for `seconds`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() - _last_call_at(stage) < seconds:
        if time.monotonic() > deadline:
            return
        if stage.bot is not None:
            stage.bot.check_alive()
        await asyncio.sleep(0.05)


@dataclass
class Tally:
    """Jobs that Midjourney finished but whose picture never reached the chat, by run."""

    lost: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record(self, run: str, jobs: int, settled: Settled) -> int:
        self.lost[run] = {"jobs": jobs, "lost": len(settled.lost), "lost_jobs": settled.lost}
        return len(settled.lost)

    @property
    def total(self) -> int:
        return sum(int(entry["lost"]) for entry in self.lost.values())


@dataclass
class Settled:
    delivered: int
    # Jobs that got no picture: stuck ones (Midjourney answered long ago, the bot will never
    # deliver) and failed ones, as (prompt, status in the database, whether a result was stored).
    lost: list[tuple[str, str, bool]]


# A final message is normally taken by the dispatcher within milliseconds; a job still not
# finished in the database this long after it is stuck, whatever Telegram pacing is doing.
STUCK_AFTER_S = 5.0


async def settle(
    stage: Stage,
    jobs: int,
    timeout: float,  # noqa: ASYNC109 (a deadline on a polling loop)
) -> Settled:
    """Wait until each of the `jobs` jobs so far is delivered (its delivery stamped in the
    bot's database: photo sent, status message removed) or stuck (see STUCK_AFTER_S)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = stage.job_rows()
        now = time.monotonic()
        finals = stage.discord.finals
        delivered = [row for row in rows if row[3]]
        stuck = [
            (prompt, status, stored)
            for prompt, status, stored, done in rows
            if not done
            and status not in ("succeeded", "failed")
            and now - finals.get(prompt, now) > STUCK_AFTER_S
        ]
        if len(delivered) + len(stuck) >= jobs:
            failed = [(p, status, stored) for p, status, stored, _ in rows if status == "failed"]
            return Settled(delivered=len(stage.photos_by_prompt()), lost=stuck + failed)
        if now > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s: {len(delivered)}/{jobs} delivered")
        if stage.bot is not None:
            stage.bot.check_alive()
        await asyncio.sleep(0.1)


# -- 1 and 4: bridge latency, Telegram calls per job -----------------------------------------


@dataclass
class _LatencyRun:
    latencies: list[float]
    details: dict[str, Any]
    job_calls: list[Call]
    progress_edits: int


async def _latency_run(
    sizes: Sizes, grid_png: bytes, tally: Tally, *, step: float, spread: float, run: str
) -> _LatencyRun:
    jobs = sizes.latency_jobs
    rng = random.Random(7)
    model = BenchModel(
        step_delay=step,
        fixed_image=grid_png,
        next_delays=[step * rng.uniform(1 - spread, 1 + spread) for _ in range(jobs)],
        previews=sizes.previews,
    )
    options = StageOptions(
        model=model,
        concurrency=sizes.latency_concurrency,
        telegram_pacing=False,
        smoke=sizes.smoke,
    )
    async with Stage(options) as stage:
        # One job per chat: Telegram's per-chat pacing (about 1 message/s) would otherwise
        # queue a chat's photos behind its own status messages, which an instant Midjourney
        # makes far denser than real jobs (tens of seconds each) ever do.
        chats = private_chats(stage, jobs, 10_000)
        prompts = [unique_prompt("latency", n) for n in range(jobs)]
        started = time.monotonic()
        for (chat, user), prompt in zip(chats, prompts, strict=True):
            stage.imagine(chat, user, prompt)
        settled = await settle(stage, jobs, timeout=120)
        elapsed = time.monotonic() - started
        # Stragglers (late progress edits) count too.
        await quiet(stage, sizes.quiet_s, timeout=10)
        photos = stage.photos_by_prompt()
        # A lost job has no photo: it is counted in the tally, not in the percentiles.
        latencies = [photos[p].at - stage.discord.finals[p] for p in prompts if p in photos]
        lost = tally.record(run, jobs, settled)
        job_calls = calls_of_jobs(stage)
        progress_edits = sum(1 for call in stage.tg.calls if is_progress_edit(call))
        warnings = stage.bot.warnings() if stage.bot else []
        previews = stage.discord.previews
    details = {
        **summary_ms(latencies),
        "jobs": jobs,
        "delivered": len(latencies),
        "lost_jobs": lost,
        "mj_concurrency": sizes.latency_concurrency,
        "private_chats": jobs,
        "grid_png_bytes": len(grid_png),
        "model": f"step_delay={step:g} s ± {spread:.0%} per job, progress 15/46/78 %"
        + ("" if sizes.previews else ", simulator previews off"),
        "simulator_previews": previews,
        "progress_edit_interval_s": options.progress_interval,
        "telegram_chat_rate": UNPACED_RATE,
        "wall_time_s": round(elapsed, 2),
        "bot_warnings": [w for w in warnings if "voice will NOT" not in w][:10],
    }
    return _LatencyRun(latencies, details, job_calls, progress_edits)


def _latency_figure(
    key: str, label: str, run: _LatencyRun, q: float, target: float | None = None
) -> Figure:
    value = round(percentile(run.latencies, q) * 1000, 1)
    return Figure(key, label, value, "ms", target=target, details=run.details)


async def bench_latency(sizes: Sizes, grid_png: bytes, tally: Tally) -> list[Figure]:
    """100 jobs at once from 100 private chats, 30 in flight, 2 MB grids, every Telegram limit
    lifted a thousandfold (TELEGRAM_CHAT_RATE=1000) so that only the bridge is measured.

    Latency of a job: its final message framed onto the gateway (fake Discord) -> its sendPhoto
    request received by the fake Telegram (`Call.at`, after the upload was read).

    Midjourney takes 1.5 s a step (the simulator's pace, still ~8x faster than Midjourney),
    each job 50 % faster or slower (seeded), so results arrive at a rate a bridge meets, spread
    out as Midjourney's are. Two runs report as information what a bridge cannot hide:
    - lockstep: every job exactly 1.5 s a step, so the 30 in flight finish in the same
      millisecond, wave after wave, and the last of each wave waits for the 29 before it;
    - saturated: an instant Midjourney keeps 30 results in the pipeline at all times, and the
      latency is then 30 / throughput (Little's law).
    """
    step = sizes.latency_step_s
    bridge = await _latency_run(
        sizes, grid_png, tally, step=step, spread=sizes.latency_spread, run="latency"
    )
    lockstep = await _latency_run(
        sizes, grid_png, tally, step=step, spread=0.0, run="latency (lockstep)"
    )
    saturated = await _latency_run(
        sizes, grid_png, tally, step=0.0, spread=0.0, run="latency (saturated)"
    )
    jobs = sizes.latency_jobs
    by_method = Counter(call.method for call in bridge.job_calls)
    queued_edits = sum(1 for c in bridge.job_calls if is_status_edit(c))
    calls = len(bridge.job_calls) - queued_edits
    return [
        _latency_figure(
            "bridge_latency_p50_ms",
            "bridge latency p50 (final message → result received by Telegram)",
            bridge,
            50,
            target=50,
        ),
        _latency_figure("bridge_latency_p99_ms", "bridge latency p99", bridge, 99, target=250),
        _latency_figure(
            "bridge_latency_lockstep_p50_ms",
            "… p50 lockstep (30 results in the same millisecond, wave after wave)",
            lockstep,
            50,
        ),
        _latency_figure("bridge_latency_lockstep_p99_ms", "… p99 lockstep", lockstep, 99),
        _latency_figure(
            "bridge_latency_saturated_p50_ms",
            "… p50 saturated (instant Midjourney, 30 results always pending)",
            saturated,
            50,
        ),
        Figure(
            "bridge_throughput_jobs_per_s",
            "… jobs delivered /s saturated (2 MB grids)",
            round(jobs / saturated.details["wall_time_s"], 1),
            "jobs/s",
            better="higher",
            details=saturated.details,
        ),
        Figure(
            "telegram_calls_per_job",
            "Telegram API calls per imagine job (no progress edits)",
            round(calls / jobs, 2),
            "calls",
            target=3,
            details={
                "jobs": jobs,
                "calls": calls,
                "by_method": dict(by_method),
                "queued_edits_excluded": queued_edits,
                "progress_edits_excluded": bridge.progress_edits,
                "why": "edits of the status message (its place in the queue, its percentage)"
                " are progress edits",
                "run": "the bridge-latency run",
            },
        ),
    ]

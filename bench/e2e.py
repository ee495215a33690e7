"""Benchmarks that drive the real bot end to end: a child process against the fakes.

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

from bench.common import Figure, flat_png, percentile, summary_ms
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


def _private_chats(stage: Stage, count: int, first_id: int) -> list[tuple[JSON, JSON]]:
    pairs = []
    for n in range(count):
        user = stage.tg.user(first_id + n)
        pairs.append((stage.tg.private_chat(user), user))
    return pairs


def _job_calls(stage: Stage) -> list[Call]:
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


async def _quiet(stage: Stage, seconds: float, timeout: float) -> None:  # noqa: ASYNC109
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


async def _settle(
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
        chats = _private_chats(stage, jobs, 10_000)
        prompts = [unique_prompt("latency", n) for n in range(jobs)]
        started = time.monotonic()
        for (chat, user), prompt in zip(chats, prompts, strict=True):
            stage.imagine(chat, user, prompt)
        settled = await _settle(stage, jobs, timeout=120)
        elapsed = time.monotonic() - started
        # Stragglers (late progress edits) count too.
        await _quiet(stage, sizes.quiet_s, timeout=10)
        photos = stage.photos_by_prompt()
        # A lost job has no photo: it is counted in the tally, not in the percentiles.
        latencies = [photos[p].at - stage.discord.finals[p] for p in prompts if p in photos]
        lost = tally.record(run, jobs, settled)
        job_calls = _job_calls(stage)
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


# -- 2 and 3: slot utilization and slot gap under a backlog ----------------------------------


def _time_weighted_mean(log: list[tuple[float, int]], start: float, end: float) -> float:
    """Mean of a step function given as (time, new value) changes, over [start, end]."""
    value = 0
    for at, new in log:
        if at > start:
            break
        value = new
    area, cursor = 0.0, start
    for at, new in log:
        if at <= start:
            continue
        if at >= end:
            break
        area += value * (at - cursor)
        value, cursor = new, at
    area += value * (end - cursor)
    return area / (end - start)


@dataclass
class BacklogRun:
    utilization_pct: float
    finals: list[float]  # when each result went onto the gateway, in order
    refills: list[float]  # when each job sent into a freed slot reached Discord, in order
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def gaps(self) -> list[float]:
        # The k-th slot to free (k-th final message) is refilled by the k-th interaction after
        # the gate: the dispatcher hands out waiting jobs first come, first served. Pairing
        # order statistics never pairs an interaction with a final message after it.
        return [refill - final for refill, final in zip(self.refills, self.finals, strict=False)]


async def backlog_run(
    sizes: Sizes,
    tally: Tally,
    *,
    job_s: float,
    spread: float,
    run: str,
    trace_path: str | None = None,
) -> BacklogRun:
    """A backlog of util_jobs jobs at MJ_CONCURRENCY=util_concurrency, each taking Midjourney
    job_s ± spread (seeded).

    The gate holds Midjourney until every job is queued in the bot, so a backlog exists for the
    whole window: gate opened -> the last interaction arrives (after it, nothing waits).
    """
    jobs, slots = sizes.util_jobs, sizes.util_concurrency
    rng = random.Random(11)
    # No progress steps: one sleep between "Waiting to start" and the result.
    model = BenchModel(
        step_delay=job_s,
        steps=(),
        fixed_image=flat_png(),
        gate=asyncio.Event(),
        next_delays=[job_s * rng.uniform(1 - spread, 1 + spread) for _ in range(jobs)],
        previews=sizes.previews,
    )
    rate = sizes.util_chat_rate
    options = StageOptions(
        model=model,
        concurrency=slots,
        trace_path=trace_path,
        smoke=sizes.smoke,
        extra_settings={} if rate is None else {"telegram_chat_rate": rate},
    )
    async with Stage(options) as stage:
        # One job per chat, so per-chat pacing does not stretch the queueing phase.
        chats = _private_chats(stage, jobs, 20_000)
        prompts = [unique_prompt("util", n) for n in range(jobs)]
        for (chat, user), prompt in zip(chats, prompts, strict=True):
            stage.imagine(chat, user, prompt)
        # Every job queued: all status messages posted, the slots taken, and the bot done with
        # its "Queued" edits.
        await stage.until(
            lambda: stage.count("sendPhoto") >= jobs and model.in_flight >= slots,
            timeout=120,
            what="the backlog to be queued",
        )
        await _quiet(stage, sizes.quiet_s, timeout=60)
        gate_opened = time.monotonic()
        assert model.gate is not None
        model.gate.set()
        await stage.until(
            lambda: len(stage.discord.finals) >= jobs, timeout=120 + jobs * job_s, what="results"
        )
        tally.record(run, jobs, await _settle(stage, jobs, timeout=120))
        arrivals = sorted(stage.discord.arrivals)
        finals = sorted(t for t in stage.discord.finals.values() if t >= gate_opened)
        log = list(model.in_flight_log)

    backlog_end = arrivals[-1]  # the last job left the queue
    mean_in_flight = _time_weighted_mean(log, gate_opened, backlog_end)
    refills = [t for t in arrivals if t > gate_opened]
    result = BacklogRun(round(mean_in_flight / slots * 100, 1), finals, refills)
    result.details = {
        "jobs": jobs,
        "mj_concurrency": slots,
        "midjourney_job_s": f"{job_s:g} ± {spread:.0%}",
        "window_s": round(backlog_end - gate_opened, 3),
        "mean_in_flight": round(mean_in_flight, 3),
        "gap_ms": summary_ms(result.gaps),
    }
    return result


async def bench_utilization(sizes: Sizes, tally: Tally) -> list[Figure]:
    """Slots under a backlog, in two runs.

    - target run: Midjourney takes 1 s ± 50 % a job. Many times shorter than any real job,
      and the shortest length at which the gap target (20 ms) and 98 % agree.
    - stress run (information): 50 ms a job, all alike, so the 3 slots free in the same
      millisecond wave after wave, 60 results a second. What utilization then shows is the
      refill's fixed cost (gateway read, send, the fake's HTTP parsing: about 2 ms) against
      50 ms, and the gap p99 is that of a bot busy with 60 results a second.
    """
    target = await backlog_run(sizes, tally, job_s=sizes.util_job_s, spread=0.5, run="utilization")
    stress = await backlog_run(
        sizes, tally, job_s=sizes.util_stress_job_s, spread=0.0, run="utilization (stress)"
    )
    return [
        Figure(
            "slot_utilization_pct",
            "slot utilization while a backlog exists",
            target.utilization_pct,
            "%",
            target=98,
            better="higher",
            details=target.details,
        ),
        Figure(
            "slot_gap_p99_ms",
            "gap slot freed → next interaction sent, p99",
            round(percentile(target.gaps, 99) * 1000, 1),
            "ms",
            target=20,
            details=target.details,
        ),
        Figure(
            "slot_utilization_stress_pct",
            "… utilization, stress (50 ms jobs in lockstep)",
            stress.utilization_pct,
            "%",
            better="higher",
            details=stress.details,
        ),
        Figure(
            "slot_gap_stress_p99_ms",
            "… gap p99, stress",
            round(percentile(stress.gaps, 99) * 1000, 1),
            "ms",
            details=stress.details,
        ),
    ]


# -- 5: Telegram 429s ------------------------------------------------------------------------


async def bench_flood(sizes: Sizes, tally: Tally) -> list[Figure]:
    """4 chats (2 groups, 2 private), 10 jobs each sent at once, progress edits on.

    The fake enforces Telegram's limits: 20 sends/edits a minute in a group, a burst of 3 then
    1/s in a private chat. Everything time-related runs `flood_time_scale` times faster, on
    both sides alike: the fake's windows and retry_after (window_scale), the bot's pacing
    (TELEGRAM_CHAT_RATE, the bot's own knob for this), Midjourney's steps and the progress
    edit interval, so the counts are those of the real-time run.
    """
    per_chat = sizes.flood_jobs_per_chat
    scale = sizes.flood_time_scale
    model = BenchModel(
        step_delay=sizes.flood_step_s / scale, fixed_image=flat_png(), previews=sizes.previews
    )
    options = StageOptions(
        model=model,
        concurrency=3,
        flood_limits=True,
        window_scale=1 / scale,
        progress_interval=3.0 / scale,
        extra_settings={"telegram_chat_rate": scale},
        smoke=sizes.smoke,
    )
    async with Stage(options) as stage:
        tg = stage.tg
        members = [tg.user(30_000 + n) for n in range(4)]
        chats = [
            (tg.group(-30_001, "Bench group A"), members[0]),
            (tg.group(-30_002, "Bench group B"), members[1]),
            (tg.private_chat(members[2]), members[2]),
            (tg.private_chat(members[3]), members[3]),
        ]
        jobs = per_chat * len(chats)
        started = time.monotonic()
        for n in range(jobs):  # interleaved, as chats would write
            chat, user = chats[n % len(chats)]
            stage.imagine(chat, user, unique_prompt("flood", n))
        tally.record("flood", jobs, await _settle(stage, jobs, timeout=240))
        elapsed = time.monotonic() - started
        failed = [c for c in tg.calls if c.response and c.response.get("error_code") == 429]
        per_chat_429 = Counter(str(c.chat_id) for c in failed)
        per_method_429 = Counter(c.method for c in failed)
        progress_edits = sum(1 for c in tg.calls if c.ok and is_progress_edit(c))
        calls = Counter(c.method for c in _job_calls(stage) if c.ok)
        flood_429s = tg.flood_429s
        previews = stage.discord.previews
    return [
        Figure(
            "telegram_429s",
            "Telegram 429s in a 4-chat, 40-job backlog",
            flood_429s,
            "429s",
            target=0,
            details={
                "jobs": jobs,
                "chats": "2 groups + 2 private, jobs interleaved",
                "by_chat": dict(per_chat_429),
                "by_method": dict(per_method_429),
                "progress_edits_shown": progress_edits,
                "simulator_previews": previews,
                "successful_calls": dict(calls),
                "midjourney_step_s_real_scale": sizes.flood_step_s,
                "progress_edit_interval_s_real_scale": options.progress_interval * scale,
                "time_scale": scale,
                "wall_time_s": round(elapsed, 2),
                "real_scale_equivalent_s": round(elapsed * scale, 1),
            },
        )
    ]


# -- 7: memory -----------------------------------------------------------------------------------


async def _memory_queued(sizes: Sizes) -> tuple[dict[str, float], dict[str, float]]:
    """RSS of the bot process with `memory_queued` jobs waiting (Midjourney held at a gate)."""
    model = BenchModel(
        step_delay=0, fixed_image=flat_png(), gate=asyncio.Event(), previews=sizes.previews
    )
    options = StageOptions(model=model, concurrency=3, telegram_pacing=False, smoke=sizes.smoke)
    async with Stage(options) as stage:
        assert stage.bot is not None
        idle = stage.bot.rss()
        chats = _private_chats(stage, 50, 40_000)
        for n in range(sizes.memory_queued):
            chat, user = chats[n % len(chats)]
            stage.imagine(chat, user, unique_prompt("queued", n))
        await stage.until(
            lambda: stage.count("sendPhoto") >= sizes.memory_queued,
            timeout=120,
            what="the queue to fill",
        )
        await _quiet(stage, sizes.quiet_s, timeout=60)
        return idle, stage.bot.rss()


async def _memory_growth(
    sizes: Sizes, tally: Tally
) -> tuple[dict[str, float], dict[str, float], float]:
    """RSS after a warm-up, then after `memory_measured` more completed jobs, in batches."""
    model = BenchModel(step_delay=0, fixed_image=flat_png(), previews=sizes.previews)
    options = StageOptions(model=model, concurrency=10, telegram_pacing=False, smoke=sizes.smoke)
    async with Stage(options) as stage:
        assert stage.bot is not None
        chats = _private_chats(stage, 50, 50_000)
        done = 0
        settled = Settled(delivered=0, lost=[])

        async def complete(count: int) -> None:
            nonlocal done, settled
            target = done + count
            while done < target:
                batch = min(sizes.memory_batch, target - done)
                for n in range(done, done + batch):
                    chat, user = chats[n % len(chats)]
                    stage.imagine(chat, user, unique_prompt("growth", n))
                done += batch
                settled = await _settle(stage, done, timeout=120)
            tally.record("memory", done, settled)
            await _quiet(stage, sizes.quiet_s, timeout=30)

        await complete(sizes.memory_warmup)
        warm = stage.bot.rss()
        started = time.monotonic()
        await complete(sizes.memory_measured)
        elapsed = time.monotonic() - started
        return warm, stage.bot.rss(), elapsed


async def bench_memory(sizes: Sizes, tally: Tally) -> list[Figure]:
    idle, queued = await _memory_queued(sizes)
    warm, after, elapsed = await _memory_growth(sizes, tally)
    growth = (after["VmRSS"] - warm["VmRSS"]) / warm["VmRSS"] * 100
    how = (
        "VmRSS of the bot process (/proc/<pid>/status); fakes live in the bench process."
        " Telegram pacing is lifted (TELEGRAM_CHAT_RATE=1000) for these runs only, and results"
        " are small PNGs: the fakes keep every upload."
    )
    return [
        Figure(
            "rss_1000_queued_mb",
            f"RSS with {sizes.memory_queued:,} jobs queued",
            queued["VmRSS"],
            "MiB",
            target=120,
            details={"idle_after_start": idle, "queued": queued, "how": how},
        ),
        Figure(
            "rss_growth_pct",
            f"RSS growth over {sizes.memory_measured:,} completed jobs",
            round(growth, 2),
            "%",
            target=5,
            details={
                "after_warmup": warm,
                "warmup_jobs": sizes.memory_warmup,
                "after_measured_jobs": after,
                "measured_jobs": sizes.memory_measured,
                "batch": sizes.memory_batch,
                "mj_concurrency": 10,
                "measured_phase_s": round(elapsed, 2),
                "how": how,
            },
        ),
    ]

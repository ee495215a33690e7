"""Issue 7's figures 2 and 3: how busy Midjourney's slots stay under a backlog, and the gap
between one job's end and the next one's start (bench/e2e.py has the sizes and how a run
settles)."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from bench.common import Figure, flat_png, percentile, summary_ms
from bench.e2e import (
    Sizes,
    Tally,
    private_chats,
    quiet,
    settle,
)
from bench.harness import (
    BenchModel,
    Stage,
    StageOptions,
    unique_prompt,
)


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
        chats = private_chats(stage, jobs, 20_000)
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
        await quiet(stage, sizes.quiet_s, timeout=60)
        gate_opened = time.monotonic()
        assert model.gate is not None
        model.gate.set()
        await stage.until(
            lambda: len(stage.discord.finals) >= jobs, timeout=120 + jobs * job_s, what="results"
        )
        tally.record(run, jobs, await settle(stage, jobs, timeout=120))
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

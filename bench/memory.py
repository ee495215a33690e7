"""Issue 7's figure 7: the bot's RSS with a queue full of jobs, and its growth over many jobs
(bench/e2e.py has the sizes and how a run settles)."""

from __future__ import annotations

import asyncio
import time

from bench.common import Figure, flat_png
from bench.e2e import (
    Settled,
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


async def _memory_queued(sizes: Sizes) -> tuple[dict[str, float], dict[str, float]]:
    """RSS of the bot process with `memory_queued` jobs waiting (Midjourney held at a gate)."""
    model = BenchModel(
        step_delay=0, fixed_image=flat_png(), gate=asyncio.Event(), previews=sizes.previews
    )
    options = StageOptions(model=model, concurrency=3, telegram_pacing=False, smoke=sizes.smoke)
    async with Stage(options) as stage:
        assert stage.bot is not None
        idle = stage.bot.rss()
        chats = private_chats(stage, 50, 40_000)
        for n in range(sizes.memory_queued):
            chat, user = chats[n % len(chats)]
            stage.imagine(chat, user, unique_prompt("queued", n))
        await stage.until(
            lambda: stage.count("sendPhoto") >= sizes.memory_queued,
            timeout=120,
            what="the queue to fill",
        )
        await quiet(stage, sizes.quiet_s, timeout=60)
        return idle, stage.bot.rss()


async def _memory_growth(
    sizes: Sizes, tally: Tally
) -> tuple[dict[str, float], dict[str, float], float]:
    """RSS after a warm-up, then after `memory_measured` more completed jobs, in batches."""
    model = BenchModel(step_delay=0, fixed_image=flat_png(), previews=sizes.previews)
    options = StageOptions(model=model, concurrency=10, telegram_pacing=False, smoke=sizes.smoke)
    async with Stage(options) as stage:
        assert stage.bot is not None
        chats = private_chats(stage, 50, 50_000)
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
                settled = await settle(stage, done, timeout=120)
            tally.record("memory", done, settled)
            await quiet(stage, sizes.quiet_s, timeout=30)

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

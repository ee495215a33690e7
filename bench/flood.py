"""Issue 7's figure 5: Telegram's 429s while busy chats and a group share the bot (bench/e2e.py
has the sizes and how a run settles)."""

from __future__ import annotations

import time
from collections import Counter

from bench.common import Figure, flat_png
from bench.e2e import (
    Sizes,
    Tally,
    calls_of_jobs,
    settle,
)
from bench.harness import (
    BenchModel,
    Stage,
    StageOptions,
    is_progress_edit,
    unique_prompt,
)


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
        tally.record("flood", jobs, await settle(stage, jobs, timeout=240))
        elapsed = time.monotonic() - started
        failed = [c for c in tg.calls if c.response and c.response.get("error_code") == 429]
        per_chat_429 = Counter(str(c.chat_id) for c in failed)
        per_method_429 = Counter(c.method for c in failed)
        progress_edits = sum(1 for c in tg.calls if c.ok and is_progress_edit(c))
        calls = Counter(c.method for c in calls_of_jobs(stage) if c.ok)
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

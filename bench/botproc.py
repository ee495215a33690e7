"""The bot under test, alone in its own process: `python -m bench.botproc '<json config>'`.

The fakes run in the bench process. Keeping the bot apart means the fakes' own work (multipart
parsing, thumbnails of every photo, JSON framing) does not queue on the bot's event loop, as
Telegram's and Discord's servers would not, and the bot's RSS is its own.

The config is {"settings": {...Settings fields...}, "trace_path": str | None,
"profile_path": str | None}. The bot runs exactly as `python -m bot` runs it (`bot.app.run`,
with its own rate limiter and `bot.heap.settle` once started), until SIGTERM/SIGINT. Tracing
(bench/trace.py) and cProfile are for finding where time goes; they are off unless asked for.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import signal
import sys
from typing import Any

from bench.common import loopback_only
from bot import heap
from bot.app import run
from bot.logs import configure_logging
from bot.settings import Settings


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run(settings, stop=stop, poll_timeout=1, on_ready=heap.settle)


def main(argv: list[str]) -> int:
    config: dict[str, Any] = json.loads(argv[1])
    loopback_only()
    settings = Settings(_env_file=None, **config["settings"])  # type: ignore[call-arg]
    configure_logging(settings.log_level, [])
    if config.get("trace_path"):
        from bench import trace

        trace.install(config["trace_path"])
    profile_path = config.get("profile_path")
    profiler = cProfile.Profile() if profile_path else None
    if profiler is not None:
        profiler.enable()
    try:
        asyncio.run(_serve(settings))
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

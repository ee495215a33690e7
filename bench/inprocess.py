"""The bot under test in the bench's own process and event loop: `--quick` runs only.

A smoke run's figures mean nothing, so it need not pay for a fresh interpreter per stage
(importing bot.app alone costs seconds of CPU). The bot still runs `bot.app.run` against the
same fakes over HTTP and websockets, so every figure goes through the code it measures; what
changes is only where the bot's time and memory are counted. Full runs keep the bot in its own
process (bench/botproc.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

from bench.common import rss_mb
from bot.app import run
from bot.settings import Settings


class _Warnings(logging.Handler):
    """WARNING/ERROR lines of the bot's rooms, as bench.botproc's log would hold them."""

    ROOMS = ("bot", "bridge", "storage", "telegram", "discord")

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in self.ROOMS:
            self.lines.append(f"{record.levelname} {record.name} {record.getMessage()}")


class InProcessBot:
    """What bench/harness.py's BotProcess offers, for `bot.app.run` as a task of this loop."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self._stop = asyncio.Event()
        self._warnings = _Warnings()
        logging.getLogger().addHandler(self._warnings)
        parsed = Settings(_env_file=None, **settings)  # type: ignore[call-arg]
        self._task = asyncio.create_task(run(parsed, stop=self._stop, poll_timeout=1))

    @property
    def pid(self) -> int:
        return os.getpid()

    def rss(self) -> dict[str, float]:
        return rss_mb()

    def check_alive(self) -> None:
        if self._task.done():
            error = None if self._task.cancelled() else self._task.exception()
            raise RuntimeError(f"the bot stopped: {error!r}")

    def warnings(self) -> list[str]:
        return list(self._warnings.lines)

    async def stop(self) -> None:
        self._stop.set()
        try:
            await asyncio.wait_for(self._task, 10)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        finally:
            logging.getLogger().removeHandler(self._warnings)

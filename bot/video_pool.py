"""Video conversions off the event loop, in a small pool of low-priority worker threads.

Pillow's WebP decoder, PyAV's scaler and libx264 release the GIL while they work, so threads keep
the loop free as well as processes do, at half the memory: `python -m bench.video --only loop`
measured 3 grids in 2 threads at 5 ms loop lag p99 and 138 MB extra, in 2 processes 4 ms and
272 MB (each worker loads its own FFmpeg and Pillow). Two workers: the machine has two cores and
the bot's loop needs one now and then; the workers run at a lower priority so that it gets it.
The pool starts on the first video, so a bot that never makes one pays nothing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from functools import partial
from typing import Literal, ParamSpec, TypeVar

from bot.video import Clip, for_telegram

_log = logging.getLogger(__name__)

PoolKind = Literal["process", "thread"]
P = ParamSpec("P")
R = TypeVar("R")


class VideoConverter:
    """`await convert(data, content_type, filename)` -> a Clip, never on the loop's thread."""

    def __init__(self, *, workers: int = 2, kind: PoolKind = "thread", nice: int = 10) -> None:
        self._workers = workers
        self._kind = kind
        self._nice = nice
        self._executor: Executor | None = None
        # More videos than workers wait here rather than in the executor's queue, so a burst
        # holds at most `workers` decoded files in memory.
        self._slots = asyncio.Semaphore(workers)

    def _pool(self) -> Executor:
        if self._executor is None:
            if self._kind == "process":
                self._executor = concurrent.futures.ProcessPoolExecutor(
                    self._workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_lower_priority,
                    initargs=(self._nice,),
                )
            else:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    self._workers,
                    thread_name_prefix="video",
                    initializer=_lower_priority,
                    initargs=(self._nice,),
                )
        return self._executor

    async def convert(self, data: bytes, content_type: str | None, filename: str = "") -> Clip:
        return await self.run(for_telegram, data, content_type, filename)

    async def run(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run `work` (a module-level function, so a process can receive it) in the pool."""
        async with self._slots:
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(self._pool(), partial(work, *args, **kwargs))
            except concurrent.futures.BrokenExecutor:
                # A worker died (killed for memory, say): the next video gets a fresh pool.
                _log.warning("video worker died; the pool restarts")
                self._executor = None
                raise

    async def aclose(self) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)


def _lower_priority(nice: int) -> None:
    """Let the event loop win the CPU over a conversion: a video a moment later is fine, a chat
    that stalls is not. On Linux the nice value of a thread is its own (setpriority on its id)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):
        _log.info("video worker priority unchanged")

"""Bot processes forked from a server that has already imported the bot.

A fresh interpreter spends about 3 s of CPU on a 2-core test machine importing `bot.app`
before the bot does anything, and a run of the suite starts some forty bot processes. The
standard library's fork server (`multiprocessing`, start method "forkserver") imports the bot
once per test worker, then forks a child for each start. Each child is still a process of its
own, with its own pid, memory and event loop, running `bot.__main__.main()` under the
environment and directory given; SIGKILL ends it as it ends a deployment. Only the interpreter's
start and the imports are skipped. The shipped command itself, `python -m bot`, stays covered by
the test that runs it as a newcomer would (tests/test_newcomer_e2e.py).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import DupFd
from pathlib import Path
from typing import Any, Literal

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["bot.__main__"])


class _InheritedFd:
    """A file descriptor that the fork server hands on to the child (it is pickled while the
    child is being started, the only moment multiprocessing can pass a descriptor)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __reduce__(self) -> tuple[Any, ...]:
        return (_detach, (DupFd(self.fd),))


def _detach(inherited: Any) -> int:
    return int(inherited.detach())


def _run_bot(env: dict[str, str], cwd: str, stderr: int | None) -> None:
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull if stderr is None else stderr, 2)
    from bot.__main__ import main

    raise SystemExit(main())


class ForkedBot:
    """What tests use of `asyncio.subprocess.Process`, for a bot forked by the server."""

    def __init__(self, process: BaseProcess, stderr: asyncio.StreamReader | None) -> None:
        self._process = process
        self.pid = process.pid
        self.stderr = stderr
        loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = loop.create_future()
        self._sentinel = process.sentinel
        loop.add_reader(self._sentinel, self._poll)

    def _poll(self) -> None:
        code = self._process.exitcode  # reads the status the fork server sends once it reaped
        if code is not None and not self._exited.done():
            asyncio.get_running_loop().remove_reader(self._sentinel)
            self._exited.set_result(code)

    @property
    def returncode(self) -> int | None:
        return self._exited.result() if self._exited.done() else None

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    async def communicate(self) -> tuple[None, bytes]:
        err = await self.stderr.read() if self.stderr is not None else b""
        await self.wait()
        return None, err


async def fork_bot(
    env: dict[str, str], cwd: Path, stderr: Literal["pipe"] | Path | None = "pipe"
) -> ForkedBot:
    """Start the bot as `python -m bot` would under `env` in `cwd`, forked from the server.
    `stderr` is "pipe" (read it from `.stderr`), a file to write, or None (discarded)."""
    loop = asyncio.get_running_loop()
    reader: asyncio.StreamReader | None = None
    child_fd: int | None = None
    read_end: int | None = None
    if stderr == "pipe":
        read_end, child_fd = os.pipe()
    elif stderr is not None:
        child_fd = os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    process = _CONTEXT.Process(
        target=_run_bot,
        args=(env, str(cwd), None if child_fd is None else _InheritedFd(child_fd)),
        daemon=False,
    )
    try:
        # In a thread: the first start waits for the server to import the bot.
        await asyncio.to_thread(process.start)
    finally:
        if child_fd is not None:
            os.close(child_fd)
    if read_end is not None:
        reader = asyncio.StreamReader()
        pipe = os.fdopen(read_end, "rb", buffering=0)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    return ForkedBot(process, reader)

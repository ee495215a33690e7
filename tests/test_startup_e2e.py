"""Start-up waits for Telegram and the database: a line per retry, then one line giving up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.app import run
from bot.settings import Settings
from bot.startup import database_down, telegram_down
from tests.cable import Cable
from tests.fakes.telegram import FakeTelegram
from tests.forkserver import fork_bot
from tests.helpers import environment, free_port


def retries(caplog: pytest.LogCaptureFixture, what: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(f"{what} not reachable")]


async def test_a_start_with_telegram_down_retries_then_runs_when_it_comes_up(
    tg: FakeTelegram, make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.startup")
    async with Cable(tg._port or 0) as cable:  # unplugged: Telegram refuses connections
        settings = make_settings(telegram_api_url=cable.url(), startup_wait_s=60)
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            run(settings, stop=stop, poll_timeout=1, on_ready=ready.set, startup_retry_s=0.02)
        )
        try:
            while len(retries(caplog, "Telegram")) < 3:
                assert not task.done(), task.exception()
                await asyncio.sleep(0.01)
            assert not tg.calls_of("getMe")
            await cable.plug()
            await asyncio.wait_for(ready.wait(), 15)
            chat_user = tg.user(7, "Ann")
            tg.send_text(tg.private_chat(chat_user), chat_user, "/start")
            await tg.wait_for("sendMessage", count=1, timeout=10)
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 15)
    lines = [r.getMessage() for r in retries(caplog, "Telegram")]
    assert lines[0] == "Telegram not reachable, retrying in 0.02 s"
    assert lines[1] == "Telegram not reachable, retrying in 0.04 s"  # backoff doubles
    assert all(r.exc_info is None for r in caplog.records), "no traceback in the log"


@pytest.mark.slow  # a process of its own
@pytest.mark.parametrize("down", ["telegram", "database"])
async def test_a_start_that_gives_up_says_so_in_one_line(
    down: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    closed = f"127.0.0.1:{free_port()}"  # nothing listens there
    overrides: dict[str, object] = {"startup_wait_s": 1.5}
    if down == "telegram":
        overrides["telegram_api_url"] = f"http://{closed}"
    else:
        overrides["database_url"] = f"postgresql+asyncpg://mj:p%40ss@{closed}/mj"
    process = await fork_bot(environment(make_settings(**overrides)), tmp_path)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    lines = err.decode().splitlines()
    what = "Telegram" if down == "telegram" else "Database"
    assert process.returncode == 1
    assert "Traceback" not in err.decode()
    assert any(f"{what} not reachable, retrying in 1 s" in line for line in lines)
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"error: {what} not reachable after ")
    assert "giving up" in errors[0]
    assert lines[-1] == errors[0]
    assert "p@ss" not in err.decode()


def test_what_is_worth_waiting_for() -> None:
    assert telegram_down(NetworkError("connection refused"))
    assert telegram_down(TimedOut())
    assert telegram_down(RetryAfter(3))
    assert not telegram_down(InvalidToken())
    assert not telegram_down(BadRequest("chat not found"))
    assert database_down(ConnectionRefusedError(111, "refused"))
    assert database_down(TimeoutError())
    starting = type("CannotConnectNowError", (Exception,), {})("the server is starting up")
    wrapped = RuntimeError("wrapper")
    wrapped.__cause__ = starting
    assert database_down(wrapped)
    assert not database_down(type("InvalidPasswordError", (Exception,), {})("bad password"))

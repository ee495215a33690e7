"""Waiting at start for what the bot depends on: the database, then Telegram.

A container often starts before its database accepts connections, and Telegram (or the network
to it) can be down for a while. Rather than a traceback and a crash loop, each dependency gets a
log line per retry ("Telegram not reachable, retrying in 4 s") and, once STARTUP_WAIT_S has
passed, one line that says so (`DependencyUnavailable`, printed by bot/__main__.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import text
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception,
    stop_after_delay,
    wait_exponential,
)

from storage.db import Database

_log = logging.getLogger(__name__)

T = TypeVar("T")

# Backoff between attempts: first, doubling up to the cap (4 s, 8 s, ... 30 s at most).
MAX_DELAY_S = 30.0
# What a server says while it starts or is full: worth waiting for, unlike a wrong password.
_DATABASE_NOT_YET = {"CannotConnectNowError", "TooManyConnectionsError"}


class DependencyUnavailable(Exception):
    """A dependency still unreachable after STARTUP_WAIT_S; the message is one line."""


def telegram_down(exc: BaseException) -> bool:
    """A network failure, a 5xx or a 429: unlike a refused token or a bad request."""
    if isinstance(exc, BadRequest):
        return False
    return isinstance(exc, NetworkError | RetryAfter)


def database_down(exc: BaseException) -> bool:
    """Connection refused, reset or timed out, or a server still starting up."""
    for error in _chain(exc):
        if isinstance(error, OSError | TimeoutError):
            return True
        if type(error).__name__ in _DATABASE_NOT_YET:
            return True
    return False


def _chain(exc: BaseException) -> list[BaseException]:
    """The error, the driver's error SQLAlchemy wraps (`orig`), and their causes."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return seen


async def ping_database(db: Database) -> None:
    """One round trip to the database (also the health check's)."""
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    detail = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {detail[0]}" if detail else type(exc).__name__


def _seconds(value: float) -> str:
    return f"{value:.0f}" if value >= 1 else f"{value:.2g}"


async def wait_for(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    *,
    transient: Callable[[BaseException], bool],
    give_up_after_s: float,
    first_delay_s: float = 1.0,
) -> T:
    """`attempt()` until it succeeds, retrying the `transient` errors with backoff.

    Other errors propagate at once (a refused token is no reason to wait). After
    `give_up_after_s` (0: no retry at all) raises DependencyUnavailable.
    """
    started = time.monotonic()

    def log_retry(state: RetryCallState) -> None:
        assert state.next_action is not None
        assert state.outcome is not None
        _log.warning(
            "%s not reachable, retrying in %s s",
            what,
            _seconds(state.next_action.sleep),
            extra={"attempt": state.attempt_number, "error": _reason(state.outcome.exception())},
        )

    def remaining_capped(state: RetryCallState) -> float:
        # Never sleep past the deadline: the last attempt comes right at it.
        delay = wait_exponential(multiplier=first_delay_s, max=MAX_DELAY_S)(state)
        left = give_up_after_s - (time.monotonic() - started)
        return max(0.0, min(delay, left))

    retrying = AsyncRetrying(
        retry=retry_if_exception(transient),
        wait=remaining_capped,
        stop=stop_after_delay(give_up_after_s),
        before_sleep=log_retry,
    )

    async def once() -> T:
        # A coroutine function, so that tenacity awaits what any callable returns.
        return await attempt()

    try:
        return await retrying(once)
    except RetryError as exc:
        waited = time.monotonic() - started
        raise DependencyUnavailable(
            f"{what} not reachable after {_seconds(waited)} s (STARTUP_WAIT_S="
            f"{_seconds(give_up_after_s)}), giving up: {_reason(exc.last_attempt.exception())}"
        ) from None


async def open_database(url: str, *, wait_s: float, first_delay_s: float = 1.0) -> Database:
    """A Database whose server answers (not yet migrated: `async with` does that)."""
    db = Database(url)
    try:
        await wait_for(
            "Database",
            lambda: ping_database(db),
            transient=database_down,
            give_up_after_s=wait_s,
            first_delay_s=first_delay_s,
        )
    except BaseException:
        await db.aclose()
        raise
    return db


async def reach_telegram(bot: Bot, *, wait_s: float, first_delay_s: float = 1.0) -> None:
    """`bot.initialize()` (getMe) once Telegram answers; PTB's later initialize is a no-op."""
    try:
        await wait_for(
            "Telegram",
            bot.initialize,
            transient=telegram_down,
            give_up_after_s=wait_s,
            first_delay_s=first_delay_s,
        )
    except BaseException:
        await bot.shutdown()
        raise

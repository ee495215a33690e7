"""`/healthz` and `/metrics` on HEALTH_LISTEN:HEALTH_PORT, served by the bot process (aiohttp).

Ready (200) when Telegram answers (long polling: the latest getUpdates came back, recently;
otherwise: the latest Bot API call did), the database answers `SELECT 1`, and every Discord
gateway session of every account is connected or has been reconnecting for less than the grace
(`grace_s`); else 503. The JSON body gives each part's state and every account's, so an operator
sees which one. A paused account (Midjourney wants a person) is reported but keeps the bot
ready: a restart would not fix it.

The sessions are sampled every `sample_s` (cheap attribute reads); a session seen going from
connected to not connected counts as a gateway reconnect in the metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from bot.metrics import GATEWAY_RECONNECTS, TelegramLink
from bot.startup import ping_database
from bridge.accounts import Account
from bridge.dispatcher import Dispatcher
from storage.db import Database

if TYPE_CHECKING:
    from aiohttp import web

_log = logging.getLogger(__name__)

DB_TIMEOUT_S = 5.0


@dataclass
class _Session:
    connected_once: bool = False
    down_since: float | None = None  # monotonic time it was first seen disconnected


class Health:
    def __init__(
        self,
        *,
        db: Database,
        dispatcher: Dispatcher,
        telegram: TelegramLink,
        polling: bool,
        stale_after_s: float,
        grace_s: float = 60.0,
        sample_s: float = 0.5,
    ) -> None:
        self._db = db
        self._dispatcher = dispatcher
        self._telegram = telegram
        self._polling = polling
        self._stale_after_s = stale_after_s
        self._grace_s = grace_s
        self._sample_s = sample_s
        self._sessions: dict[tuple[str, str], _Session] = {}
        self._sampler: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        # Telegram answered getMe just before: the first long poll counts from here.
        self._since = time.monotonic()

    # -- serving -------------------------------------------------------------------------------

    async def start(self, listen: str, port: int) -> None:
        # Imported when served: aiohttp's web server is about 2 MiB of RSS that a bot without
        # HEALTH_PORT never needs (README "Performance").
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, listen, port).start()
        self.port = self._runner.addresses[0][1]
        self.start_sampling()
        _log.info("health and metrics served", extra={"listen": listen, "port": self.port})

    def start_sampling(self) -> None:
        self.sample()
        self._sampler = asyncio.create_task(self._sample_forever(), name="health-sampler")

    async def aclose(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        report = await self.report()
        status = 200 if report["status"] == "ok" else 503
        from aiohttp import web

        return web.json_response(report, status=status)

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = generate_latest(REGISTRY)
        from aiohttp import web

        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    # -- the parts -----------------------------------------------------------------------------

    async def report(self) -> dict[str, Any]:
        self.sample()
        telegram = self._telegram_state()
        database = await self._database_state()
        accounts = {
            name: self._account_state(account)
            for name, account in self._dispatcher.accounts.items()
        }
        ok = telegram["ok"] and database["ok"] and all(a["ok"] for a in accounts.values())
        return {
            "status": "ok" if ok else "unhealthy",
            "telegram": telegram,
            "database": database,
            "accounts": accounts,
            "queue": self._dispatcher.waiting,
        }

    def _telegram_state(self) -> dict[str, Any]:
        link = self._telegram
        ago = time.monotonic() - (link.last_ok or self._since)
        ok = link.failures == 0
        if self._polling and ago > self._stale_after_s:
            ok = False  # long polls come back within their timeout: this one is stuck
        state: dict[str, Any] = {
            "ok": ok,
            "mode": "polling" if self._polling else "calls",
            "last_answer_s_ago": round(ago, 1),
            "failures": link.failures,
        }
        if not ok and link.last_error:
            state["error"] = link.last_error
        return state

    async def _database_state(self) -> dict[str, Any]:
        try:
            async with asyncio.timeout(DB_TIMEOUT_S):
                await ping_database(self._db)
        except Exception as exc:
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
        return {"ok": True}

    def _account_state(self, account: Account) -> dict[str, Any]:
        sessions = {}
        ok = True
        now = time.monotonic()
        for session, connected in _sessions_of(account).items():
            tracked = self._sessions.get((account.name, session), _Session())
            if connected:
                sessions[session] = {"state": "connected"}
                continue
            down_for = 0.0 if tracked.down_since is None else now - tracked.down_since
            within = down_for < self._grace_s
            ok = ok and within
            sessions[session] = {
                "state": "reconnecting" if within else "down",
                "down_for_s": round(down_for, 1),
            }
        return {
            "ok": ok,
            "sessions": sessions,
            "in_flight": account.running,
            "paused": account.paused,
        }

    # -- sampling ------------------------------------------------------------------------------

    def sample(self) -> None:
        now = time.monotonic()
        for name, account in self._dispatcher.accounts.items():
            for session, connected in _sessions_of(account).items():
                tracked = self._sessions.setdefault((name, session), _Session())
                if connected:
                    tracked.connected_once, tracked.down_since = True, None
                elif tracked.down_since is None:
                    tracked.down_since = now
                    if tracked.connected_once:
                        GATEWAY_RECONNECTS.labels(account=name, session=session).inc()
                        _log.info(
                            "gateway session lost", extra={"account": name, "session": session}
                        )

    async def _sample_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sample_s)
            self.sample()


def _sessions_of(account: Account) -> dict[str, bool]:
    """Each gateway session of the account and whether it is connected now ({}: simulator)."""
    sessions = getattr(account.backend, "sessions", None)
    return sessions() if callable(sessions) else {}

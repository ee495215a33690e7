"""/healthz follows Telegram and the Discord gateways going away and coming back; /metrics
counts a job's outcome once, quota refusals and Telegram's 429s."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import JOBS, JobOutcomes
from bot.settings import Settings
from storage.models import Job, JobKind, JobStatus, utcnow
from tests.cable import Cable
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram
from tests.helpers import ROOT, Stack, StartBot, free_port


async def healthz(port: int) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as r:
        return r.status, await r.json()


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 15) -> None:
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 (polling an HTTP endpoint)
            await asyncio.sleep(0.05)


async def healthcheck(port: int) -> tuple[int, str]:
    """Docker's HEALTHCHECK command."""
    env = {**os.environ, "HEALTH_PORT": str(port), "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.healthcheck", env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode().strip()


async def _true(value: bool) -> bool:
    return value


def health_is(port: int, status: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await healthz(port))[0] == status

    return check


async def samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        body = await r.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


async def test_health_follows_telegram_going_away_and_coming_back(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    port = free_port()
    async with Cable(tg._port or 0) as cable:
        await cable.plug()
        await start_bot(make_settings(telegram_api_url=cable.url(), health_port=port))
        status, body = await healthz(port)
        assert status == 200, body
        assert body["status"] == "ok"
        assert body["telegram"]["ok"]
        assert body["database"]["ok"]
        assert body["accounts"]["main"] == {
            "ok": True,
            "sessions": {},
            "in_flight": 0,
            "paused": None,
        }

        await cable.unplug()  # the long poll in flight is cut, the next ones are refused
        await until(health_is(port, 503))
        status, body = await healthz(port)
        assert body["status"] == "unhealthy"
        assert not body["telegram"]["ok"]
        assert body["telegram"]["failures"] >= 1
        assert body["database"]["ok"]

        assert await healthcheck(port) == (1, "unhealthy (503): telegram")

        await cable.plug()
        await until(health_is(port, 200))
        assert (await healthcheck(port))[0] == 0


async def test_health_follows_a_discord_gateway_going_away_and_coming_back(
    tg: FakeTelegram, discord_fake: FakeDiscord, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    async with Cable(discord_fake._port or 0) as cable:
        await cable.plug()
        # Every gateway connection, resumes included (READY's resume_gateway_url), goes
        # through the cable.
        through_cable = property(lambda _: cable.url("ws") + "/gw")
        monkeypatch.setattr(FakeDiscord, "gateway_url", through_cable)
        await stack.start(health_port=port, health_grace_s=0.3)
        await until(health_is(port, 200))
        _, body = await healthz(port)
        assert body["accounts"]["main"]["sessions"] == {
            "bot": {"state": "connected"},
            "user": {"state": "connected"},
        }
        before = await samples(port)
        # A 429 from Discord's REST, counted (then retried after its retry_after).
        discord_fake.fail_next("POST", r"/interactions$", status=429, retry_after=0.01)
        ann = tg.user(41)
        tg.send_text(tg.private_chat(ann), ann, "/imagine a harbour at night")
        await until(lambda: _true(len(discord_fake.interactions) == 1))
        limited = ("mj_discord_rate_limited_total", ())
        assert (await samples(port))[limited] - before.get(limited, 0) == 1

        await cable.unplug()
        await until(health_is(port, 503))
        _, body = await healthz(port)
        assert body["telegram"]["ok"]
        assert body["database"]["ok"]
        account = body["accounts"]["main"]
        assert not account["ok"]
        assert {s["state"] for s in account["sessions"].values()} == {"down"}

        await cable.plug()
        await until(health_is(port, 200), seconds=30)
        after = await samples(port)
        for session in ("bot", "user"):
            key = ("mj_gateway_reconnects_total", (("account", "main"), ("session", session)))
            assert after[key] - before.get(key, 0) == 1


async def test_metrics_count_a_jobs_outcome_once(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    port = free_port()
    await start_bot(make_settings(health_port=port, user_daily_quota=1))
    succeeded = ("mj_jobs_total", (("kind", "imagine"), ("outcome", "succeeded"), ("reason", "")))
    latency = ("mj_result_latency_seconds_count", ())
    refused = ("mj_quota_refusals_total", (("scope", "user"),))
    limited = ("mj_telegram_rate_limited_total", (("method", "sendMessage"),))
    before = await samples(port)
    assert ("mj_queue_length", ()) in before
    assert ("mj_jobs_in_flight", (("account", "main"),)) in before

    ann = tg.user(31)
    chat = tg.private_chat(ann)
    tg.fail_next("sendMessage", error_code=429, retry_after=0.01)
    tg.send_text(chat, ann, "/imagine a lighthouse at dusk")

    async def counted() -> bool:
        return (await samples(port)).get(succeeded, 0) > before.get(succeeded, 0)

    await until(counted)
    tg.send_text(chat, ann, "/imagine a second lighthouse")  # over the quota of 1
    await tg.wait_for(
        "sendMessage", lambda c: "used your 1 job for today" in c.params.get("text", "")
    )
    after = await samples(port)
    assert after[succeeded] - before.get(succeeded, 0) == 1
    assert after[latency] - before.get(latency, 0) == 1
    assert after[refused] - before.get(refused, 0) == 1
    assert after[limited] - before.get(limited, 0) >= 1


def test_a_job_delivered_twice_counts_once() -> None:
    job = Job(id=987_654, chat_id=1, kind=JobKind.DESCRIBE, status=JobStatus.FAILED,
              error_kind="timeout", finished_at=utcnow())  # fmt: skip
    counter = JOBS.labels(kind="describe", outcome="failed", reason="timeout")
    start = counter._value.get()
    outcomes = JobOutcomes()
    outcomes.delivered(job)
    outcomes.delivered(job)
    assert counter._value.get() - start == 1

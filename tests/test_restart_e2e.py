"""SIGKILL in the middle of work, results posted while the bot is down, and a fresh start."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from storage.db import Database
from storage.models import Job, QuotaEntry, QuotaState
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import STATUS_EDITS, FakeTelegram
from tests.helpers import discord_fake_wait

pytestmark = pytest.mark.slow  # processes or a browser: out of the inner loop


async def test_sigkill_with_jobs_queued_and_running_loses_and_repeats_nothing(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    bot_process: Callable[..., Any],
) -> None:
    model.step_delay = 0.25  # about a second per job
    settings = discord_settings(mj_concurrency=1)
    first = await bot_process(settings)
    users = [tg.user(120 + n) for n in range(3)]
    for user in users:
        tg.send_text(tg.private_chat(user), user, f"/imagine lighthouse {user['id']}")
    # The first job is running at Midjourney, the two others wait in our queue.
    await tg.wait_for(STATUS_EDITS, lambda c: "%" in c.text, timeout=15)
    # The three updates are confirmed to Telegram (a later poll's offset is past them).
    await tg.wait_for("getUpdates", lambda c: int(c.params.get("offset") or 0) > 3)
    first.kill()
    await first.wait()

    # Midjourney finishes the running job while no bot is there to see it.
    for _ in range(100):
        if model.results:
            break
        await asyncio.sleep(0.05)
    assert len(model.results) == 1
    assert tg.results() == []

    second = await bot_process(settings)
    photos = await tg.wait_for_results(count=3, timeout=20)
    assert sorted(p.params["chat_id"] for p in photos) == [120, 121, 122]
    # Exactly three interactions: the running job was recovered from the channel, not resent.
    assert len(discord_fake.interactions) == 3
    await asyncio.sleep(0.3)
    assert len(tg.results()) == 3, "a result was delivered twice"

    second.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(second.wait(), 15) == 0


async def test_a_job_sent_just_before_the_crash_is_resent_with_its_own_nonce(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    bot_process: Callable[..., Any],
) -> None:
    # Discord lost the interaction (e.g. the crash hit mid-request): nothing in the channel.
    discord_fake.fail_next("POST", r"/interactions$", status=500, times=100)
    settings = discord_settings()
    first = await bot_process(settings)
    ann = tg.user(130)
    tg.send_text(tg.private_chat(ann), ann, "/imagine a harbour crane")
    await tg.wait_for("sendPhoto", lambda c: "Sending" in c.text, timeout=15)
    await asyncio.sleep(0.3)  # the bot is retrying the 500s
    first.kill()
    await first.wait()
    discord_fake._faults.clear()

    await bot_process(settings)
    await tg.wait_for_results(timeout=20)
    assert len(model.interactions) == 1


async def test_the_ledger_settles_each_job_once_across_a_restart(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    bot_process: Callable[..., Any],
) -> None:
    model.step_delay = 0.25
    model.error_words = {"forbidden": ("Banned prompt detected", "Sorry!")}
    settings = discord_settings(mj_concurrency=2)
    first = await bot_process(settings)
    ann, bob = tg.user(150), tg.user(151)
    tg.send_text(tg.private_chat(ann), ann, "/imagine a forbidden fruit")
    tg.send_text(tg.private_chat(bob), bob, "/imagine an apple tree")
    await discord_fake_wait(discord_fake, 2, seconds=15)  # the process starts first
    await tg.wait_for("getUpdates", lambda c: int(c.params.get("offset") or 0) > 2)
    first.kill()
    await first.wait()
    # Midjourney answers both while the bot is down: an error for one, a grid for the other.
    for _ in range(100):
        if model.results and model.in_flight == 0:
            break
        await asyncio.sleep(0.05)

    await bot_process(settings)
    await tg.wait_for_results(lambda c: c.params["chat_id"] == 151, timeout=20)
    await tg.wait_for(
        STATUS_EDITS,
        lambda c: c.params["chat_id"] == 150 and "❌" in c.text,
        timeout=20,
    )
    async with Database(settings.database_url) as db, db.transaction() as session:
        entries = (await session.exec(select(QuotaEntry))).all()
        jobs = {job.id: job for job in (await session.exec(select(Job))).all()}
    by_chat = {jobs[entry.job_id].chat_id: entry.state for entry in entries}
    assert len(entries) == 2  # one entry per job: nothing reserved twice
    assert by_chat == {150: QuotaState.REFUNDED, 151: QuotaState.CHARGED}

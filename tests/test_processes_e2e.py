"""Several bot processes on one PostgreSQL database: each job runs and is delivered once.

One process takes Telegram's updates and dies with jobs running and waiting; a worker process
(no Telegram updates) and a fresh process race for them once their lease has run out. Row
locks (FOR UPDATE SKIP LOCKED) and the claiming UPDATE's condition give each job to one of
them.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from storage.db import Database
from storage.models import Job, JobStatus
from tests.fakes.discord import FakeDiscord, prompt_of
from tests.fakes.telegram import STATUS_EDITS, FakeTelegram
from tests.postgres import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_two_processes_take_over_a_dead_ones_jobs_each_exactly_once(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    bot_process: Callable[..., Any],
    postgres: PostgresServer,
) -> None:
    model.step_delay = 0.2
    url = await postgres.new_database()

    def process(name: str, **extra: Any) -> Settings:
        return discord_settings(
            database_url=url, mj_concurrency=1, job_lease_s=1.5, instance_name=name, **extra
        )

    first = await bot_process(process("a"))
    worker = await bot_process(process("b", telegram_receive_updates=False))
    users = [tg.user(140 + n) for n in range(4)]
    for user in users:
        tg.send_text(tg.private_chat(user), user, f"/imagine lighthouse {user['id']}")
    await tg.wait_for(STATUS_EDITS, lambda c: "%" in c.text, timeout=20)
    await tg.wait_for("getUpdates", lambda c: int(c.params.get("offset") or 0) > 4)
    first.kill()
    await first.wait()

    fresh = await bot_process(process("c"))
    photos = await tg.wait_for_results(lambda c: c.ok, count=4, timeout=30)
    assert sorted(p.params["chat_id"] for p in photos) == [u["id"] for u in users]
    await asyncio.sleep(0.5)  # time for a second delivery or submission, if one were coming
    assert len(tg.results()) == 4, "a result was delivered twice"

    nonces: dict[str, set[str]] = defaultdict(set)
    for payload in discord_fake.interactions:
        nonces[prompt_of(payload)].add(payload["nonce"])
    assert len(nonces) == 4
    assert all(len(sent) == 1 for sent in nonces.values()), nonces  # nobody sent one twice

    async with Database(url) as db, db.transaction() as session:
        jobs = (await session.exec(select(Job))).all()
    assert {job.status for job in jobs} == {JobStatus.SUCCEEDED}
    assert all(job.delivered_at is not None for job in jobs)
    # The dead process's jobs went to the survivors, and both took part.
    assert {job.owner for job in jobs} <= {"b", "c"}
    assert worker.returncode is None
    assert fresh.returncode is None

"""An update Telegram hands over again (its offset was never confirmed) makes nothing twice,
across restarts too; the keys are pruned by age."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from sqlmodel import select

from bot.settings import Settings
from storage.db import Database
from storage.models import Job, utcnow
from storage.updates import MEMORY, SeenUpdate, forget_before, remember, seen
from tests.fakes.telegram import FakeTelegram
from tests.helpers import StartBot


async def job_count(settings: Settings) -> int:
    async with Database(settings.database_url) as db, db.transaction() as session:
        return len((await session.exec(select(Job))).all())


async def test_an_update_handed_over_again_after_a_restart_makes_no_second_job(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    settings = make_settings()
    bot = await start_bot(settings)
    ann = tg.user(170)
    tg.send_text(tg.private_chat(ann), ann, "/imagine a paper boat")
    await tg.wait_for_results(lambda c: c.chat_id == 170, count=1, timeout=15)
    await bot.close()

    # The bot died before Telegram saw the offset confirmed: the update comes again.
    tg.hand_over_again(tg.updates[-1])
    polls = len(tg.calls_of("getUpdates"))
    await start_bot(settings)
    await tg.wait_for("getUpdates", count=polls + 2)
    await asyncio.sleep(0.3)
    assert await job_count(settings) == 1
    assert len(tg.results(170)) == 1


async def test_the_same_message_or_tap_under_a_new_update_id_is_dropped_too(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    settings = make_settings()
    await start_bot(settings)
    bob = tg.user(171)
    tg.send_text(tg.private_chat(bob), bob, "/imagine a tin robot")
    (grid,) = await tg.wait_for_results(lambda c: c.chat_id == 171, count=1, timeout=15)
    tg.send_update({"message": tg.updates[-1]["message"]})  # same chat and message id
    message = tg.message(171, grid.result["message_id"])
    assert message is not None
    u1 = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    tg.press_button(tg.private_chat(bob), bob, message, u1)
    tap = tg.updates[-1]
    await tg.wait_for_results(lambda c: c.chat_id == 171, count=2, timeout=15)
    tg.send_update({"callback_query": tap["callback_query"]})  # the same query id again
    await asyncio.sleep(0.5)
    assert await job_count(settings) == 2
    assert len(tg.results(171)) == 2


async def test_seen_keys_are_remembered_and_pruned_by_age(database_url: str) -> None:
    async with Database(database_url) as db:
        async with db.transaction() as session:
            await remember(session=session, keys=["u1", "m5:7"], strict=True)
            await remember(session=session, keys=["u1", "u2"], strict=False)  # u1 skipped
        async with db.transaction() as session:
            assert await seen(session=session, keys=["q9", "m5:7"])
            assert not await seen(session=session, keys=["q9"])
            await forget_before(session=session, before=utcnow() - MEMORY)
            assert len((await session.exec(select(SeenUpdate))).all()) == 3
            await forget_before(session=session, before=utcnow() + timedelta(seconds=1))
            assert not await seen(session=session, keys=["u1", "u2", "m5:7"])

"""Faults around delivery (issue 14): a failed CDN download, a failed tap answer, a dropped
connection after the job was queued. Each must end with the job delivered once and every
answer true."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlmodel import select

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from storage.db import Database
from storage.models import Job, JobStatus, QuotaEntry, QuotaState
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram
from tests.helpers import Stack, StartBot, imagine_in

INTERNAL_ERROR = "Something went wrong"


def said(tg: FakeTelegram, words: str) -> list[str]:
    calls = tg.calls_of(("sendMessage", "editMessageText", "answerCallbackQuery"))
    return [text for c in calls if words in (text := str(c.params.get("text", "")))]


async def jobs_of(settings: Settings) -> list[Job]:
    async with Database(settings.database_url) as db, db.transaction() as session:
        return list((await session.exec(select(Job).order_by(Job.id))).all())


async def ledger(settings: Settings) -> dict[int, QuotaState]:
    async with Database(settings.database_url) as db, db.transaction() as session:
        entries = (await session.exec(select(QuotaEntry))).all()
    return {entry.job_id: QuotaState(entry.state) for entry in entries}


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": 0.05},
        {"status": 503, "text": "upstream reset", "content_type": "text/plain"},
        {"status": 502, "text": "<html>cloudflare</html>"},
    ],
    ids=["429", "text-503", "html-502"],
)
async def test_a_failed_cdn_download_of_a_result_is_retried_and_delivered_once(
    tg: FakeTelegram, discord_fake: FakeDiscord, stack: Stack, fault: dict[str, object]
) -> None:
    settings = await stack.start()
    discord_fake.fail_next("GET", r"^/cdn/attachments/", times=2, **fault)  # type: ignore[arg-type]
    (chat,) = await imagine_in(tg, 1)
    await tg.wait_for_results(lambda c: c.chat_id == chat, count=1, timeout=15)
    await asyncio.sleep(0.2)
    assert len(tg.results(chat)) == 1
    (job,) = await jobs_of(settings)
    assert job.delivered_at is not None
    assert (await ledger(settings))[job.id] is QuotaState.CHARGED  # type: ignore[index]


@pytest.mark.parametrize("error_code", [0, 500, 400], ids=["dropped", "5xx", "too-old"])
async def test_a_failed_tap_answer_never_strands_the_job(
    tg: FakeTelegram,
    model: MidjourneyModel,
    make_settings: Callable[..., Settings],
    start_bot: StartBot,
    error_code: int,
) -> None:
    settings = make_settings()
    await start_bot(settings)
    (chat,) = await imagine_in(tg, 1)
    (grid,) = await tg.wait_for_results(lambda c: c.chat_id == chat, count=1, timeout=15)
    message = tg.message(chat, grid.result["message_id"])
    assert message is not None
    u1 = next(
        key["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for key in row
        if key["text"] == "U1"
    )
    tg.fail_next("answerCallbackQuery", error_code=error_code, times=5)
    user = tg.user(chat)
    tg.press_button(tg.private_chat(user), user, message, u1)
    await tg.wait_for_results(lambda c: c.chat_id == chat, count=2, timeout=15)
    jobs = await jobs_of(settings)
    assert [job.status for job in jobs] == [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]
    assert set((await ledger(settings)).values()) == {QuotaState.CHARGED}
    assert not said(tg, INTERNAL_ERROR)


async def test_a_dropped_queue_position_edit_still_answers_truly(
    tg: FakeTelegram,
    model: MidjourneyModel,
    make_settings: Callable[..., Settings],
    start_bot: StartBot,
) -> None:
    settings = make_settings(mj_concurrency=1, simulator_step_s=0.05)
    await start_bot(settings)
    queued_edit = ("editMessageText", "editMessageCaption")
    for method in queued_edit:
        tg.fail_next(
            method, error_code=0, when=lambda p: "Queued" in str(p.get("caption") or p.get("text"))
        )
    ann, bob = tg.user(160), tg.user(161)
    tg.send_text(tg.private_chat(ann), ann, "/imagine a first kite")
    await tg.wait_for(("sendMessage", "sendPhoto"), lambda c: c.chat_id == 160 and c.ok)
    tg.send_text(tg.private_chat(bob), bob, "/imagine a second kite")
    await tg.wait_for_results(lambda c: c.chat_id == 161, count=1, timeout=20)
    assert any("Queued" in c.text and not c.ok for c in tg.calls_of(queued_edit)), (
        "the queue position edit was tried, and dropped"
    )
    assert not said(tg, INTERNAL_ERROR)

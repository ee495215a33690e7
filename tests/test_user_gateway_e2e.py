"""What only the Midjourney account's own gateway session sees, end to end through the fakes."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from storage.db import Database
from storage.models import QuotaEntry, QuotaState
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import STATUS_EDITS, FakeTelegram
from tests.helpers import Stack, button


async def quota_states(settings: Settings) -> list[QuotaState]:
    async with Database(settings.database_url) as db, db.transaction() as session:
        rows = (await session.exec(QuotaEntry.__table__.select())).all()  # type: ignore[attr-defined]
    return [QuotaState(row.state) for row in rows]


async def test_an_ephemeral_midjourney_error_reaches_the_user_long_before_the_timeout(
    tg: FakeTelegram, model: MidjourneyModel, stack: Stack
) -> None:
    model.ephemeral_errors = True
    model.error_words = {"forbidden": ("Banned prompt detected", "Sorry! Our AI moderator...")}
    # A timeout far beyond the test's own: only the user gateway can end this job in time.
    settings = await stack.start(mj_job_timeout_s=300)
    ann = tg.user(101)
    tg.send_text(tg.private_chat(ann), ann, "/imagine something forbidden")

    told = await tg.wait_for(STATUS_EDITS, lambda c: "❌" in c.text)
    assert "community standards" in told[0].text
    assert await quota_states(settings) == [QuotaState.REFUNDED]

    # The slot is free again: the next job runs.
    tg.send_text(tg.private_chat(ann), ann, "/imagine something nice")
    await tg.wait_for_results()


async def test_an_interaction_midjourney_refuses_fails_at_once(
    tg: FakeTelegram, model: MidjourneyModel, stack: Stack
) -> None:
    model.refuse_words = {"refuse me"}
    settings = await stack.start(mj_job_timeout_s=300)
    ann = tg.user(102)
    tg.send_text(tg.private_chat(ann), ann, "/imagine please refuse me")
    told = await tg.wait_for(STATUS_EDITS, lambda c: "❌" in c.text)
    assert "did not accept" in told[0].text
    assert await quota_states(settings) == [QuotaState.REFUNDED]


async def test_custom_zoom_form_is_submitted_with_the_id_from_the_user_gateway(
    tg: FakeTelegram, discord_fake: FakeDiscord, stack: Stack
) -> None:
    await stack.start()
    ann = tg.user(103)
    room = tg.private_chat(ann)
    tg.send_text(room, ann, "/imagine an island")
    grid = (await tg.wait_for_results())[0]
    tg.press_button(
        room, ann, tg.message(103, grid.result["message_id"]), button(grid, "U1")["callback_data"]
    )
    upscale = (await tg.wait_for_results(count=2))[-1]
    tg.press_button(
        room,
        ann,
        tg.message(103, upscale.result["message_id"]),
        button(upscale, "🔭 Custom")["callback_data"],
    )
    question = (await tg.wait_for("sendMessage", lambda c: "zoom factor" in c.params["text"]))[0]
    tg.send_text(room, ann, "1.5", reply_to=question.result)
    await tg.wait_for_results(count=3)

    press, submit = discord_fake.interactions[-2:]
    assert press["type"] == 3
    assert submit["type"] == 5
    # data.id is the id Discord gave the press (seen only by the user session), not a new one.
    assert submit["data"]["id"] not in (press["nonce"], submit["nonce"])
    assert submit["data"]["id"].isdigit()
    assert submit["data"]["components"][0]["components"][0]["value"] == "an island --zoom 1.5"
    assert submit["session_id"] == press["session_id"] != ""


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        ("Invalid parameter", "parameter is invalid"),
        ("Queue full", "queue is full"),
        ("Credits exhausted", "out of fast hours"),
        ("Request cancelled due to output filters", "output filters"),
        ("Invalid link", "could not load an image link"),
    ],
)
async def test_each_ephemeral_error_kind_reaches_the_user_with_midjourneys_reason(
    tg: FakeTelegram, model: MidjourneyModel, stack: Stack, title: str, reason: str
) -> None:
    model.ephemeral_errors = True
    model.error_words = {"trouble": (title, "details from Midjourney")}
    settings = await stack.start(mj_job_timeout_s=300)
    ann = tg.user(104)
    tg.send_text(tg.private_chat(ann), ann, "/imagine trouble ahead")
    told = await tg.wait_for(STATUS_EDITS, lambda c: "❌" in c.text)
    assert reason in told[0].text
    assert await quota_states(settings) == [QuotaState.REFUNDED]

"""✖️ Cancel under a status message: a running job is stopped at Midjourney, a waiting one leaves
the queue; either way the quota is refunded and the slot goes to the next job."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from storage.db import Database
from storage.models import QuotaEntry, QuotaState
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import STATUS_EDITS, Call, FakeTelegram
from tests.helpers import Stack, discord_fake_wait

CANCEL = "✖️ Cancel"


def cancel_data(call: Call) -> str | None:
    """The callback data of the ✖️ Cancel key an edit or send showed, if any."""
    markup = call.params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    for row in (markup or {}).get("inline_keyboard", []):
        for key in row:
            if key["text"] == CANCEL:
                return str(key["callback_data"])
    return None


def offers_cancel(chat_id: int) -> Callable[[Call], bool]:
    return lambda call: call.params["chat_id"] == chat_id and cancel_data(call) is not None


async def quota_by_chat(settings: Settings) -> dict[int, QuotaState]:
    async with Database(settings.database_url) as db, db.transaction() as session:
        rows = (await session.exec(QuotaEntry.__table__.select())).all()  # type: ignore[attr-defined]
    return {row.chat_id: QuotaState(row.state) for row in rows}


def tap(tg: FakeTelegram, chat: dict[str, Any], user: dict[str, Any], call: Call) -> None:
    message = tg.message(chat["id"], call.params["message_id"])
    assert message is not None
    data = cancel_data(call)
    assert data is not None
    tg.press_button(chat, user, message, data)


async def test_cancel_of_a_running_job_presses_cancel_job_refunds_and_frees_the_slot(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    model.step_delay = 0.3
    settings = await stack.start(mj_concurrency=1)
    ann, bob = tg.user(81), tg.user(82)
    ann_chat = tg.private_chat(ann)
    tg.send_text(ann_chat, ann, "/imagine a slow glacier")
    progress = (await tg.wait_for(STATUS_EDITS, offers_cancel(81)))[-1]
    tg.send_text(tg.private_chat(bob), bob, "/imagine a quick sketch")  # waits for the slot
    await tg.wait_for(STATUS_EDITS, lambda c: c.params["chat_id"] == 82)

    tap(tg, ann_chat, ann, progress)

    told = await tg.wait_for(
        STATUS_EDITS, lambda c: c.params["chat_id"] == 81 and "Cancelled" in c.text
    )
    assert cancel_data(told[-1]) is None, "the Cancel key outlived the job"
    # Midjourney was told: its Cancel Job button pressed on the progress message.
    pressed = discord_fake.interactions[1]
    assert pressed["type"] == 3
    assert pressed["data"]["custom_id"].startswith("MJ::CancelJob::ByJobid::")
    first_reply = model.interactions[0]["nonce"]
    assert first_reply not in model.results, "the cancelled job still finished"
    assert model.cancelled
    # The slot went to the waiting job, which finishes as usual.
    photo = (await tg.wait_for_results())[0]
    assert photo.params["chat_id"] == 82
    assert await quota_by_chat(settings) == {81: QuotaState.REFUNDED, 82: QuotaState.CHARGED}
    assert not tg.results()[1:]


async def test_cancel_of_a_waiting_job_drops_it_before_it_reaches_midjourney(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    model.step_delay = 0.2
    settings = await stack.start(mj_concurrency=1)
    ann, bob = tg.user(83), tg.user(84)
    bob_chat = tg.private_chat(bob)
    tg.send_text(tg.private_chat(ann), ann, "/imagine a long river")
    await discord_fake_wait(discord_fake, 1)
    tg.send_text(bob_chat, bob, "/imagine a short story")
    queued = (await tg.wait_for(STATUS_EDITS, offers_cancel(84)))[-1]
    assert "Queued" in queued.text

    tap(tg, bob_chat, bob, queued)

    await tg.wait_for(
        STATUS_EDITS, lambda c: c.params["chat_id"] == 84 and "Cancelled" in c.text
    )
    photo = (await tg.wait_for_results())[0]
    assert photo.params["chat_id"] == 83
    assert len(discord_fake.interactions) == 1, "the cancelled job was sent anyway"
    assert await quota_by_chat(settings) == {83: QuotaState.CHARGED, 84: QuotaState.REFUNDED}


async def test_a_tap_by_someone_else_gets_an_alert_and_changes_nothing(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    model.step_delay = 0.2
    settings = await stack.start()
    group = tg.group(-3001, "Painters")
    ann, bob, admin = tg.user(85), tg.user(86), tg.user(87)
    tg.set_admins(-3001, [87])
    tg.send_text(group, ann, "/imagine a windmill")
    progress = (await tg.wait_for(STATUS_EDITS, offers_cancel(-3001)))[-1]

    tap(tg, group, bob, progress)

    alert = await tg.wait_for("answerCallbackQuery", lambda c: c.params.get("show_alert"))
    assert "group admin" in alert[0].params["text"]
    photo = (await tg.wait_for_results())[0]
    assert photo.params["chat_id"] == -3001
    assert len(discord_fake.interactions) == 1, "a foreign tap reached Midjourney"
    assert await quota_by_chat(settings) == {-3001: QuotaState.CHARGED}

    # A group admin may cancel someone else's job.
    tg.send_text(group, ann, "/imagine a second windmill")
    first = progress.params["message_id"]
    progress = (
        await tg.wait_for(
            STATUS_EDITS,
            lambda c: offers_cancel(-3001)(c) and c.params["message_id"] != first,
        )
    )[-1]
    tap(tg, group, admin, progress)
    await tg.wait_for(
        STATUS_EDITS,
        lambda c: c.params["chat_id"] == -3001 and "Cancelled" in c.text,
    )

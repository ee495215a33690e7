"""The whole bot on PostgreSQL: a grid, a button, the shared quota and a restart."""

from __future__ import annotations

import pytest

from bot.refusals import QuotaRefusal
from bot.texts import texts
from bridge.simulator import MidjourneyModel
from storage.chats import quota_window
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram
from tests.helpers import Session, Stack
from tests.postgres import PostgresServer

pytestmark = pytest.mark.postgres


async def test_imagine_a_tap_the_quota_and_a_restart_on_postgres(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    model: MidjourneyModel,
    stack: Stack,
    postgres: PostgresServer,
) -> None:
    settings = stack.settings(
        database_url=await postgres.new_database(), user_daily_quota=3, mj_concurrency=2
    )
    running = await stack.start_bot(settings)
    session = Session(tg, discord_fake, model)
    grid = await session.imagine("a copper kettle")
    payload, upscale = await session.tap(grid, "U3")
    assert payload["message_id"] == session.discord_message_of(grid)["id"]
    assert upscale.params["chat_id"] == session.chat["id"]
    await running.close()

    # A new process on the same database: the buttons still work, the quota is remembered.
    await stack.start_bot(settings)
    _, variation = await session.tap(grid, "V1")
    assert variation.params["chat_id"] == session.chat["id"]
    tg.send_text(session.chat, session.user, "/imagine one too many")
    # The countdown to the reset is left out: it may turn a minute meanwhile.
    resets_at = quota_window().resets_at
    refusal = QuotaRefusal("user", 3, resets_at).render(texts("en")).rsplit(" More in ", 1)[0]
    await tg.wait_for("sendMessage", lambda c: c.params["text"].startswith(refusal + " More in "))

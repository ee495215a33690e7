"""Both gateway sessions feed correlation: whatever the listener bot is shown, and with the user
account's session down for a while, every job reaches its own chat once."""

from __future__ import annotations

import asyncio

import pytest

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from storage.db import Database
from storage.jobs import get_job
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import STATUS_EDITS, FakeTelegram
from tests.helpers import (
    Stack,
    button,
    one_prompt_from_two_chats,
    photo_bytes,
    pixels,
)

VIEWS = ["everything", "no_nonce", "no_nonce_no_metadata"]


async def photos_by_chat(settings: Settings, model: MidjourneyModel, photos: list) -> None:
    """Each chat got the picture of its own job."""
    async with Database(settings.database_url) as db, db.transaction() as session:
        for photo in photos:
            chat = photo.params["chat_id"]
            jobs = [await get_job(session=session, job_id=n) for n in (1, 2)]
            job = next(job for job in jobs if job is not None and job.chat_id == chat)
            expected = model.results[job.nonce]["image"]
            assert pixels(photo_bytes(photo)) == pixels(expected)


@pytest.mark.parametrize("listener_sees", VIEWS)
@pytest.mark.parametrize("listener_first", [False, True], ids=["user-first", "listener-first"])
async def test_same_prompt_from_two_chats_in_every_view_and_order(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    model: MidjourneyModel,
    stack: Stack,
    listener_first: bool,
) -> None:
    discord_fake.listener_first = listener_first
    model.next_delays = [0.2, 0.01]  # the second request finishes first
    settings = await stack.start()
    await one_prompt_from_two_chats(tg, discord_fake, (31, 32), "a lighthouse at dusk")

    photos = await tg.wait_for_results(count=2)
    assert [p.params["chat_id"] for p in photos] == [32, 31]
    await photos_by_chat(settings, model, photos)
    await asyncio.sleep(0.2)
    assert len(tg.results()) == 2, "a result was delivered twice"


async def test_with_the_user_session_down_mid_job_the_listener_still_delivers(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    model.step_delay = 0.1
    await stack.start()
    ann = tg.user(61)
    chat = tg.private_chat(ann)
    tg.send_text(chat, ann, "/imagine a paper boat --ar 3:2")
    # The first reply (with the nonce) and the ack reached the user session; then it is cut off.
    await tg.wait_for(STATUS_EDITS, lambda c: "%" in c.text)
    await discord_fake.hold_connections("user")

    grid = (await tg.wait_for_results())[0]
    assert grid.params["chat_id"] == 61
    # And a button of that grid, still without the user session: its result comes back too.
    message = tg.message(61, grid.result["message_id"])
    assert message is not None
    tg.press_button(chat, ann, message, button(grid, "U2")["callback_data"])
    upscale = (await tg.wait_for_results(count=2))[-1]
    assert upscale.params["chat_id"] == 61
    assert discord_fake.connected("user") == 0


async def test_a_resumed_user_session_replays_nothing_twice(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    model.step_delay = 0.1
    await stack.start()
    ann = tg.user(62)
    tg.send_text(tg.private_chat(ann), ann, "/imagine a tin robot")
    await tg.wait_for(STATUS_EDITS, lambda c: "%" in c.text)
    # Dropped (not held): it RESUMEs, and the fake replays what it missed, which the listener
    # has delivered meanwhile.
    await discord_fake.drop_connections("user")
    await tg.wait_for_results()
    await discord_fake.wait_connected("user")
    await asyncio.sleep(0.3)
    assert len(tg.results()) == 1


async def test_same_prompt_race_with_the_user_session_down_follows_the_job_hash(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    # Both first replies reach the user session, then it goes down: from there on the
    # listener sees no nonce and no metadata, and two jobs share one prompt. Each progress
    # message names its job's uuid (Cancel Job), and so does each grid.
    model.next_delays = [0.3, 0.1]  # the second request finishes first
    settings = await stack.start()
    await one_prompt_from_two_chats(tg, discord_fake, (33, 34), "a harbour at night")
    for chat in (33, 34):
        await tg.wait_for(STATUS_EDITS, lambda c, chat=chat: c.params["chat_id"] == chat)
    await discord_fake.hold_connections("user")

    photos = await tg.wait_for_results(count=2)
    assert [p.params["chat_id"] for p in photos] == [34, 33]
    await photos_by_chat(settings, model, photos)

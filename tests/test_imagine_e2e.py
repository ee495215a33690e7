"""The /imagine path end to end: stock PTB and discord.py against the fakes on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from storage.db import Database
from storage.jobs import get_job
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import STATUS_EDITS, FakeTelegram
from tests.helpers import (
    CHANNEL_ID,
    DISCORD_USER_TOKEN,
    GUILD_ID,
    Stack,
    StartBot,
    discord_fake_wait,
    keyboard,
    one_prompt_from_two_chats,
    photo_bytes,
    pixels,
    reply_to,
)


async def test_start_and_help_in_english_and_chinese(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    await start_bot(make_settings())
    ann = tg.user(11, first_name="Ann", language_code="en")
    li = tg.user(12, first_name="Li", language_code="zh-hans")
    tg.send_text(tg.private_chat(ann), ann, "/start")
    tg.send_text(tg.private_chat(li), li, "/help")

    sent = await tg.wait_for("sendMessage", count=2)
    by_chat = {call.params["chat_id"]: call.params["text"] for call in sent}
    # In a private chat plain text is the prompt: /start and /help say so.
    assert "Send me what you want to see" in by_chat[11]
    assert "Midjourney" in by_chat[11]
    assert "使用方法" in by_chat[12]
    assert "任何不带命令的文字都会被当作提示词" in by_chat[12]

    # In a group the bot keeps to commands, addressed to it.
    group = tg.group(-13, "Painters")
    tg.send_text(group, ann, "/start@mj_test_bot")
    tg.send_text(group, li, "/help@mj_test_bot")
    sent = await tg.wait_for("sendMessage", lambda c: c.chat_id == group["id"], count=2)
    start, help_text = (call.params["text"] for call in sent)
    assert "/imagine@mj_test_bot a red fox" in start
    assert "/imagine@mj_test_bot &lt;提示词&gt;" in help_text


async def test_imagine_goes_through_discord_and_comes_back_as_a_grid(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    model.step_delay = 0.15  # slow enough for a progress edit at a 0.05 s interval
    await stack.start()
    ann = tg.user(21, language_code="en")
    chat = tg.private_chat(ann)
    request = tg.send_text(chat, ann, "/imagine a red fox --ar 3:2")

    photo = (await tg.wait_for_results())[0]

    # The interaction Discord received.
    assert len(discord_fake.interactions) == 1
    payload = discord_fake.interactions[0]
    assert payload["type"] == 2
    assert payload["guild_id"] == GUILD_ID
    assert payload["channel_id"] == CHANNEL_ID
    assert payload["data"]["name"] == "imagine"
    assert payload["data"]["options"][0]["value"] == "a red fox --ar 3:2"
    assert payload["nonce"].isdigit()
    assert discord_fake.interaction_headers[0]["Authorization"] == DISCORD_USER_TOKEN

    # The job's one message: a placeholder photo replying to the request, its caption edited
    # with the percentage, then the grid put into it (editMessageMedia).
    status = tg.calls_of("sendPhoto")[0]
    assert reply_to(status) == request["message_id"]
    assert "Sending" in (status.caption or "")
    edits = [c for c in tg.calls_of(STATUS_EDITS) if "%" in c.text]
    assert edits, "no progress edit was made"
    assert all(c.params["message_id"] == status.result["message_id"] for c in edits)

    # The grid: in that same message, replying to the request, with U1-U4, V1-V4 and reroll.
    assert photo.method == "editMessageMedia"
    assert photo.params["message_id"] == status.result["message_id"]
    assert photo.params["chat_id"] == 21
    assert reply_to(photo) == request["message_id"]
    assert photo.caption == "a red fox --ar 3:2"
    labels = [[button["text"] for button in row] for row in keyboard(photo)]
    assert labels == [["U1", "U2", "U3", "U4"], ["V1", "V2", "V3", "V4"], ["🔄"]]
    for row in keyboard(photo):
        for button in row:
            assert len(button["callback_data"].encode()) <= 64
    nonce = payload["nonce"]
    assert pixels(photo_bytes(photo)) == pixels(model.results[nonce]["image"])

    # One message in the chat, showing the grid: nothing stale, nothing to delete.
    (message,) = tg.bot_messages(21)
    assert message["caption"] == "a red fox --ar 3:2"
    assert not tg.calls_of("deleteMessage")


async def test_identical_prompts_from_two_chats_each_get_their_own_grid(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    # The first job runs slower, so the results arrive in the opposite order to the requests.
    model.next_delays = [0.2, 0.01]
    settings = await stack.start()
    await one_prompt_from_two_chats(tg, discord_fake, (31, 32), "a lighthouse at dusk")

    photos = await tg.wait_for_results(count=2)
    assert {p.params["chat_id"] for p in photos} == {31, 32}
    assert photos[0].params["chat_id"] == 32, "the second request should finish first"

    async with Database(settings.database_url) as db, db.transaction() as session:
        jobs = {chat: await get_job(session=session, job_id=n) for n, chat in ((1, 31), (2, 32))}
    for photo in photos:
        job = jobs[photo.params["chat_id"]]
        assert job is not None
        assert job.chat_id == photo.params["chat_id"]
        expected = model.results[job.nonce]["image"]
        assert pixels(photo_bytes(photo)) == pixels(expected)


async def test_seven_jobs_never_more_than_three_in_flight(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    model.step_delay = 0.03
    await stack.start(mj_concurrency=3)
    users = [tg.user(40 + n) for n in range(7)]
    for user in users:
        tg.send_text(tg.private_chat(user), user, f"/imagine castle number {user['id']}")

    photos = await tg.wait_for_results(count=7, timeout=20)
    assert {p.params["chat_id"] for p in photos} == {u["id"] for u in users}
    assert len(discord_fake.interactions) == 7
    assert model.max_in_flight == 3


async def test_a_job_that_never_finishes_times_out_and_frees_its_slot(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    model.hang_words = {"forever"}
    await stack.start(mj_concurrency=1, mj_job_timeout_s=0.5)
    ann, bob = tg.user(51), tg.user(52)
    tg.send_text(tg.private_chat(ann), ann, "/imagine a clock that runs forever")
    await discord_fake_wait(discord_fake, 1)
    tg.send_text(tg.private_chat(bob), bob, "/imagine a quick sketch")

    told = await tg.wait_for(
        STATUS_EDITS, lambda c: c.params["chat_id"] == 51 and "❌" in c.text
    )
    assert "in time" in told[0].text
    photo = (await tg.wait_for_results())[0]
    assert photo.params["chat_id"] == 52

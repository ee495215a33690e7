"""Midjourney's progress previews in the job's one photo message, end to end (issue 14).

While Midjourney draws, the job's message shows its newest preview (editMessageMedia, the
caption in the same call), then the result replaces it once. What is only inferred about the
previews (that they come, that they can be fetched, that they are pictures, when they come)
is broken here on purpose: the caption still moves, and the result still lands once.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image, ImageStat

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from bridge.simulator.video import knobs
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import STATUS_EDITS, Call, FakeTelegram, has_result_keys
from tests.helpers import PrivateChat, StartBot, photo_bytes, small_videos

_PREVIEW = r"_grid_0\.webp$"


def keys(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [key["text"] for row in markup.get("inline_keyboard") or () for key in row]


def progress_edits(tg: FakeTelegram, chat_id: int, percent: int) -> list[Call]:
    return [
        c for c in tg.calls_of(STATUS_EDITS) if c.chat_id == chat_id and f"{percent}%" in c.text
    ]


def shows_result_once(tg: FakeTelegram, chat_id: int, result: Call) -> None:
    """One message in the chat, the job's, and it shows the result with its keys now."""
    assert len(tg.bot_messages(chat_id)) == 1, "one message per job"
    assert len(tg.results(chat_id)) == 1, "the result was put in twice"
    message = tg.message(chat_id, result.result["message_id"])
    assert message is not None
    assert "U1" in keys(message)
    assert message["photo"][-1]["file_id"] == result.result["photo"][-1]["file_id"]


async def test_the_user_watches_the_grid_drawn_then_gets_it(
    tg: FakeTelegram,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    start_bot: StartBot,
) -> None:
    model.step_delay, model.steps = 0.2, (15, 46, 78)
    await start_bot(discord_settings())
    chat = PrivateChat(tg, 301, language_code="en")
    chat.say("/imagine a lighthouse at dusk")

    result = (await tg.wait_for_results(timeout=10))[0]
    status = tg.calls_of("sendPhoto")[0]
    previews = tg.previews(chat.room["id"])
    # From about 35 %: Midjourney's 15 % carried no picture, its 46 % and 78 % did.
    assert [p for p in previews if "46%" in p.text]
    assert [p for p in previews if "78%" in p.text]
    assert all(p.params["message_id"] == status.result["message_id"] for p in previews)
    assert all(tg.calls.index(p) < tg.calls.index(result) for p in previews)
    with Image.open(io.BytesIO(photo_bytes(previews[-1]))) as shown:
        assert shown.size == (128, 128)  # the model's preview of its 256 px grids
        low, high = zip(*shown.convert("RGB").getextrema(), strict=True)
        assert max(high) - min(low) > 40, "a picture, not the plain placeholder"
    # ✖️ Cancel stays under the preview, as under a caption edit.
    assert all("✖️ Cancel" in json.dumps(p.params.get("reply_markup"), ensure_ascii=False)
               for p in previews)  # fmt: skip
    # Never more calls than the caption edits alone would need: one per percentage at most.
    for percent in model.steps:
        assert len(progress_edits(tg, chat.room["id"], percent)) <= 1
    shows_result_once(tg, chat.room["id"], result)


async def test_a_progress_without_a_preview_moves_the_caption_and_keeps_the_picture(
    tg: FakeTelegram,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    start_bot: StartBot,
) -> None:
    model.step_delay, model.steps = 0.25, (15, 46, 60, 78)
    await start_bot(discord_settings())
    chat = PrivateChat(tg, 302, language_code="en")
    chat.say("/imagine a lighthouse at noon")

    first = (await tg.wait_for("editMessageMedia", lambda c: c.is_preview, timeout=10))[0]
    model.previews = False  # Midjourney's next edits carry no picture
    result = (await tg.wait_for_results(timeout=10))[0]

    (last,) = progress_edits(tg, chat.room["id"], 78)
    assert last.method == "editMessageCaption", "no new picture: the caption alone moves"
    assert last.ok
    assert tg.calls.index(first) < tg.calls.index(last) < tg.calls.index(result)
    shows_result_once(tg, chat.room["id"], result)


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 404, "text": "404: Not Found"},  # expired, or never there
        {"status": 200, "text": "<html>not a picture</html>", "content_type": "text/html"},
    ],
    ids=["404", "unreadable"],
)
async def test_a_preview_that_cannot_be_shown_leaves_the_caption_edit_alone(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    start_bot: StartBot,
    fault: dict[str, Any],
) -> None:
    model.step_delay, model.steps = 0.25, (15, 46, 78)
    discord_fake.fail_next("GET", _PREVIEW, times=1, **fault)  # the 46 % preview
    await start_bot(discord_settings())
    chat = PrivateChat(tg, 303, language_code="en")
    chat.say("/imagine a lighthouse in fog")

    result = (await tg.wait_for_results(timeout=10))[0]
    (broken,) = progress_edits(tg, chat.room["id"], 46)
    assert broken.method == "editMessageCaption"
    assert broken.ok
    (shown,) = progress_edits(tg, chat.room["id"], 78)
    assert shown.is_preview, "the next preview is shown as usual"
    shows_result_once(tg, chat.room["id"], result)


async def test_a_preview_fetched_after_the_result_never_covers_it(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    start_bot: StartBot,
) -> None:
    model.step_delay, model.steps = 0.1, (46,)
    fetched = discord_fake.slow_cdn(_PREVIEW, 0.6)  # the download ends well after the result
    await start_bot(discord_settings())
    chat = PrivateChat(tg, 304, language_code="en")
    chat.say("/imagine a lighthouse in a storm")

    result = (await tg.wait_for_results(timeout=10))[0]
    asked = [
        path for method, path in discord_fake.requests if method == "GET" and "_grid_0" in path
    ]
    assert asked, "the bot fetched the preview"
    await asyncio.wait_for(fetched.wait(), 5)  # the preview's download is answered
    await asyncio.sleep(0.3)  # time for a wrong edit to be made
    late = [c for c in tg.calls_of(STATUS_EDITS) if tg.calls.index(c) > tg.calls.index(result)]
    assert late == [], "a progress edit landed after the result"
    shows_result_once(tg, chat.room["id"], result)


@pytest.mark.parametrize("carried_out", [True, False], ids=["carried-out", "refused"])
async def test_a_result_overtakes_a_preview_under_way_and_stays_on_top(
    tg: FakeTelegram,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    start_bot: StartBot,
    carried_out: bool,
) -> None:
    model.step_delay, model.steps = 0.4, (46,)
    if not carried_out:
        tg.fail_next("editMessageMedia", error_code=400, when=lambda p: not has_result_keys(p))
    preview_held, result_came = asyncio.Event(), asyncio.Event()
    overtook: list[bool] = []

    async def slow_preview(call: Call) -> None:
        # Telegram takes its time over the preview: it answers only once the result arrived.
        if call.method == "editMessageMedia" and not call.carries_result:
            preview_held.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(result_came.wait(), 3)
            preview_held.clear()
        elif call.carries_result and not result_came.is_set():
            overtook.append(preview_held.is_set())
            result_came.set()

    tg.on_call = slow_preview
    await start_bot(discord_settings())
    chat = PrivateChat(tg, 308, language_code="en")
    chat.say("/imagine a lighthouse in the rain")

    (result,) = await tg.wait_for_results(timeout=10)
    assert overtook == [True], "the result waited for the preview under way"
    answered = await tg.wait_for(
        "editMessageMedia", lambda c: c.response is not None and not c.carries_result
    )
    (preview,) = answered
    assert preview.ok is carried_out
    if carried_out:  # it landed after the result: the result is put in again, by its file_id
        again = (await tg.wait_for_results(count=2, timeout=10))[-1]
        assert again.files == {}, "put in again without a second upload"
        assert tg.calls.index(preview) < tg.calls.index(again)
        assert preview.params["message_id"] == again.params["message_id"]
    await asyncio.sleep(0.3)  # time for a wrong call to show up
    puts = [c for c in tg.calls_of("editMessageMedia") if c.carries_result]
    assert len(puts) == (2 if carried_out else 1), "put in again only after a preview that landed"
    assert len(tg.bot_messages(chat.room["id"])) == 1, "one message per job"
    message = tg.message(chat.room["id"], result.params["message_id"])
    assert message is not None
    assert "U1" in keys(message), "the result's keys, not the preview's ✖️ Cancel"
    assert message["photo"][-1]["file_id"] == result.result["photo"][-1]["file_id"]


async def test_a_video_shows_its_four_clips_as_one_picture(
    tg: FakeTelegram,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    start_bot: StartBot,
) -> None:
    knobs(small_videos(model)).steps = (12, 35, 62)  # step frames of 32 px from 35 %
    model.step_delay = 0.2
    await start_bot(discord_settings())
    chat = PrivateChat(tg, 305, language_code="en")
    chat.say("/imagine a paper boat")
    grid = (await tg.wait_for_results(timeout=10))[-1]
    chat.press(grid, "U1")
    single = (await tg.wait_for_results(count=2, timeout=10))[-1]
    before = len(tg.previews(chat.room["id"]))
    chat.press(single, "🎞 Animate (Low motion)")

    clip = (await tg.wait_for_results(count=3, timeout=15))[-1]
    previews = tg.previews(chat.room["id"])[before:]
    assert previews, "no preview of the video was shown"
    assert all(p.params["message_id"] == clip.params["message_id"] for p in previews)
    with Image.open(io.BytesIO(photo_bytes(previews[-1]))) as shown:
        assert shown.size == (64, 64)  # 2x2 of the four 32 px step frames
        picture = shown.convert("RGB")
    cells = [picture.crop((x, y, x + 32, y + 32)) for y in (0, 32) for x in (0, 32)]
    means = {tuple(round(v) for v in ImageStat.Stat(cell).mean) for cell in cells}
    assert len(means) == 4, "each clip in its own cell"
    assert len(tg.results(chat.room["id"])) == 3


@pytest.mark.slow  # a process of its own
async def test_a_kill_inside_a_preview_still_delivers_the_result_once(
    tg: FakeTelegram,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    bot_process: Callable[..., Any],
) -> None:
    model.step_delay, model.steps = 0.3, (15, 46, 60, 78)
    settings = discord_settings()
    first = await bot_process(settings)
    chat = PrivateChat(tg, 306, language_code="en")
    chat.say("/imagine a lighthouse at night")

    async def kill_inside_a_preview(call: Call) -> None:
        # Telegram takes the preview (the fake carries it out); the bot never hears back.
        preview = call.method.lower() == "editmessagemedia" and not call.carries_result
        if preview and first.returncode is None:
            first.kill()
            await first.wait()

    tg.on_call = kill_inside_a_preview
    await tg.wait_for("editMessageMedia", lambda c: not c.carries_result, timeout=20)
    await first.wait()
    tg.on_call = None

    await bot_process(settings)  # goes on with the job, in the same message
    result = (await tg.wait_for_results(timeout=20))[0]
    await asyncio.sleep(0.5)  # time for a second result, or a stray preview, to show up
    late = [c for c in tg.calls_of(STATUS_EDITS) if tg.calls.index(c) > tg.calls.index(result)]
    assert late == []
    shows_result_once(tg, chat.room["id"], result)


async def test_a_job_that_fails_after_a_preview_shows_the_placeholder_again(
    tg: FakeTelegram,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    start_bot: StartBot,
) -> None:
    model.step_delay, model.steps = 0.3, (46, 60, 78)
    await start_bot(discord_settings())
    chat = PrivateChat(tg, 307, language_code="en")
    chat.say("/imagine a lighthouse to cancel")
    shown = (await tg.wait_for("editMessageMedia", lambda c: c.is_preview, timeout=10))[0]

    chat.press(shown, "✖️ Cancel")

    (told,) = await tg.wait_for(STATUS_EDITS, lambda c: "Cancelled" in c.text, timeout=10)
    assert told.method == "editMessageMedia"  # the failure's words with the placeholder
    placeholder = tg.calls_of("sendPhoto")[0].result["photo"][-1]["file_id"]
    now = tg.message(chat.room["id"], shown.params["message_id"])
    assert now is not None
    assert now["photo"][-1]["file_id"] == placeholder, "the half-drawn preview is gone"
    assert tg.results(chat.room["id"]) == []

"""Self-tests of the fake Telegram Bot API, driven by stock python-telegram-bot clients.

Each test talks HTTP to the fake through an unmodified ``telegram.Bot`` or ``Application``, so a
response that PTB cannot parse fails here first.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from io import BytesIO
from typing import Any

import aiohttp
import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Update
from telegram.error import BadRequest, ChatMigrated, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.fakes.telegram import MB, FakeTelegram

TOKEN = "1000:TEST-TOKEN"
USER_ID = 42
SUPERGROUP_ID = -1001234567890

JSONDict = dict[str, Any]


def png(width: int, height: int) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def keyboard(*callback_data: str) -> InlineKeyboardMarkup:
    """One row of buttons, each labelled with its callback data."""
    buttons = [InlineKeyboardButton(data, callback_data=data) for data in callback_data]
    return InlineKeyboardMarkup([buttons])


def api_error(description: str) -> str:
    """A ``match=`` pattern for a Telegram error description.

    PTB strips "Bad Request: " and capitalizes the rest, so match case-insensitively.
    """
    return f"(?i){re.escape(description)}"


def client_of(tg: FakeTelegram) -> Bot:
    return Bot(TOKEN, base_url=f"{tg.root_url}/bot", base_file_url=f"{tg.root_url}/file/bot")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with client_of(tg) as client:  # initialize() already calls getMe
        yield client


@pytest.fixture
def ann(tg: FakeTelegram) -> JSONDict:
    return tg.user(USER_ID, username="ann")


@pytest.fixture
def chat(tg: FakeTelegram, ann: JSONDict) -> JSONDict:
    return tg.private_chat(ann)


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to ``RetryAfter.retry_after`` as a timedelta (avoids PTB's deprecation warning)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def test_get_me_describes_the_bot_and_the_token_is_remembered(
    tg: FakeTelegram, bot: Bot
) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.first_name, me.is_bot) == (1000, "mj_test_bot", "MJ Test", True)
    assert tg.token == TOKEN


async def test_unknown_method_answers_404_like_telegram(tg: FakeTelegram) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{tg.root_url}/bot{TOKEN}/sendTelepathy") as response,
    ):
        body = await response.json()

    assert response.status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_send_message_returns_a_full_message_that_replies(
    tg: FakeTelegram, bot: Bot, ann: JSONDict, chat: JSONDict
) -> None:
    prompt = tg.send_text(chat, ann, "a cat in space")

    sent = await bot.send_message(
        chat["id"],
        "Queued",
        reply_to_message_id=prompt["message_id"],
        reply_markup=keyboard("v1:cancel"),
    )

    assert sent.message_id == prompt["message_id"] + 1
    assert sent.from_user is not None
    assert sent.from_user.id == tg.bot_id
    assert (sent.chat.id, sent.chat.type) == (USER_ID, "private")
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "a cat in space"
    assert sent.reply_markup == keyboard("v1:cancel")
    # Dates are in seconds; a milliseconds date would land thousands of years away.
    assert abs(sent.date - dtm.datetime.now(dtm.UTC)) < dtm.timedelta(minutes=1)
    assert [m["text"] for m in tg.bot_messages(USER_ID)] == ["Queued"]


async def test_send_photo_upload_has_real_dimensions_and_downloads_the_same_bytes(
    tg: FakeTelegram, bot: Bot, chat: JSONDict
) -> None:
    image = png(64, 32)

    sent = await bot.send_photo(chat["id"], image, caption="grid")
    largest = sent.photo[-1]
    file = await bot.get_file(largest.file_id)
    downloaded = await file.download_as_bytearray()
    resent = await bot.send_photo(chat["id"], largest.file_id)

    assert len(sent.photo) == 2
    assert (largest.width, largest.height, largest.file_size) == (64, 32, len(image))
    assert sent.caption == "grid"
    assert bytes(downloaded) == image
    assert tg.calls_of("sendPhoto")[0].files == {"photo": image}
    assert resent.photo[-1].file_id == largest.file_id


async def test_send_animation_and_video_keep_the_clip_and_refuse_over_50_mb(
    tg: FakeTelegram, bot: Bot, chat: JSONDict
) -> None:
    clip = b"\0\0\0\x18ftypisom" + bytes(100)

    animation = await bot.send_animation(chat["id"], clip, width=64, height=48, duration=5)
    video = await bot.send_video(chat["id"], clip, supports_streaming=True)

    assert (animation.animation.width, animation.animation.height) == (64, 48)
    assert animation.animation.duration == 5
    assert animation.document is not None  # Telegram shows an animation as a document too
    assert video.video.file_size == len(clip)
    assert tg.calls_of("sendAnimation")[0].files == {"animation": clip}
    with pytest.raises(NetworkError, match="Request Entity Too Large"):
        await bot.send_animation(chat["id"], bytes(50 * MB + 1))


async def test_edit_message_text_changes_state_and_identical_edit_is_refused(
    tg: FakeTelegram, bot: Bot, chat: JSONDict
) -> None:
    sent = await bot.send_message(chat["id"], "Progress 10%", reply_markup=keyboard("v1:stop"))

    await bot.edit_message_text(
        "Progress 50%", chat["id"], sent.message_id, reply_markup=keyboard("v1:stop")
    )
    with pytest.raises(BadRequest, match=api_error("message is not modified")):
        await bot.edit_message_text(
            "Progress 50%", chat["id"], sent.message_id, reply_markup=keyboard("v1:stop")
        )

    [progress] = tg.bot_messages(USER_ID)
    assert progress["text"] == "Progress 50%"
    assert "edit_date" in progress


async def test_edit_without_reply_markup_removes_the_keyboard(
    tg: FakeTelegram, bot: Bot, chat: JSONDict
) -> None:
    sent = await bot.send_message(chat["id"], "Grid", reply_markup=keyboard("v1:u1"))

    edited = await bot.edit_message_text("Grid (expired)", chat["id"], sent.message_id)

    assert edited.reply_markup is None
    assert "reply_markup" not in tg.bot_messages(USER_ID)[0]


async def test_callback_data_is_limited_to_64_bytes_not_characters(
    bot: Bot, chat: JSONDict
) -> None:
    await bot.send_message(chat["id"], "fits", reply_markup=keyboard("é" * 32))  # 64 bytes

    with pytest.raises(BadRequest, match=api_error("BUTTON_DATA_INVALID")):
        await bot.send_message(chat["id"], "too long", reply_markup=keyboard("x" * 65))


Request = Callable[[Bot, int], Awaitable[object]]

INVALID_REQUESTS = [
    pytest.param(
        lambda bot, chat_id: bot.send_message(chat_id, "  "),
        "message text is empty",
        id="empty-text",
    ),
    pytest.param(
        lambda bot, chat_id: bot.send_message(chat_id, "x" * 4097),
        "message is too long",
        id="long-text",
    ),
    pytest.param(
        lambda bot, chat_id: bot.send_photo(chat_id, png(8, 8), caption="x" * 1025),
        "message caption is too long",
        id="long-caption",
    ),
    pytest.param(
        lambda bot, chat_id: bot.send_message(chat_id, "<b>1 < 2</b>", parse_mode="HTML"),
        "can't parse entities",
        id="unescaped-html",
    ),
    pytest.param(
        lambda bot, chat_id: bot.send_photo(chat_id, png(300, 10)),
        "PHOTO_INVALID_DIMENSIONS",
        id="photo-ratio",
    ),
    pytest.param(
        lambda bot, chat_id: bot.send_photo(chat_id, b"not an image"),
        "IMAGE_PROCESS_FAILED",
        id="photo-garbage",
    ),
    pytest.param(
        lambda bot, chat_id: bot.send_message(chat_id, "hi", reply_to_message_id=999),
        "message to be replied not found",
        id="reply-unknown",
    ),
    pytest.param(
        lambda bot, chat_id: bot.edit_message_text("x", chat_id, 999),
        "message to edit not found",
        id="edit-unknown",
    ),
    pytest.param(
        lambda bot, chat_id: bot.delete_message(chat_id, 999),
        "message to delete not found",
        id="delete-unknown",
    ),
    pytest.param(
        lambda bot, chat_id: bot.send_message(-999, "hi"),
        "chat not found",
        id="unknown-chat",
    ),
]


@pytest.mark.parametrize(("request_", "description"), INVALID_REQUESTS)
async def test_invalid_requests_are_refused_like_telegram(
    tg: FakeTelegram, bot: Bot, chat: JSONDict, request_: Request, description: str
) -> None:
    with pytest.raises(BadRequest, match=api_error(description)):
        await request_(bot, chat["id"])

    assert tg.bot_messages(USER_ID) == []


async def test_html_markup_is_removed_from_the_stored_text(
    tg: FakeTelegram, bot: Bot, chat: JSONDict
) -> None:
    sent = await bot.send_message(chat["id"], "<b>cat</b> &amp; dog &lt;3", parse_mode="HTML")

    assert sent.text == "cat & dog <3"


async def test_a_callback_query_can_be_answered_only_once(
    tg: FakeTelegram, bot: Bot, ann: JSONDict, chat: JSONDict
) -> None:
    grid = await bot.send_message(chat["id"], "Grid", reply_markup=keyboard("v1:u1"))
    query_id = tg.press_button(chat, ann, tg.message(USER_ID, grid.message_id) or {}, "v1:u1")

    assert await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=api_error("query is too old")):
        await bot.answer_callback_query(query_id)


async def test_get_file_refuses_files_over_20_mb(
    tg: FakeTelegram, bot: Bot, ann: JSONDict, chat: JSONDict
) -> None:
    upload = tg.send_document(
        chat, ann, bytes(20 * MB + 1), file_name="huge.png", mime_type="image/png"
    )

    with pytest.raises(BadRequest, match=api_error("file is too big")):
        await bot.get_file(upload["document"]["file_id"])


async def test_fail_next_429_raises_retry_after_once(
    tg: FakeTelegram, bot: Bot, chat: JSONDict, ptb_timedelta: None
) -> None:
    tg.fail_next("sendMessage", retry_after=3)

    with pytest.raises(RetryAfter) as excinfo:
        await bot.send_message(chat["id"], "first try")
    await bot.send_message(chat["id"], "second try")

    assert excinfo.value.retry_after == dtm.timedelta(seconds=3)
    assert [call.ok for call in tg.calls_of("sendMessage")] == [False, True]


async def test_fail_next_with_code_0_drops_the_connection(
    tg: FakeTelegram, bot: Bot, chat: JSONDict
) -> None:
    tg.fail_next("sendMessage", error_code=0)

    with pytest.raises(NetworkError):
        await bot.send_message(chat["id"], "lost")

    assert tg.calls_of("sendMessage")[0].response is None


async def test_flood_limits_answer_429_to_a_burst_in_a_private_chat(
    ptb_timedelta: None,
) -> None:
    # window_scale=0.1: at most 3 sends per 0.3 s instead of per 3 s.
    async with FakeTelegram(flood_limits=True, window_scale=0.1) as tg:
        chat = tg.private_chat(tg.user(USER_ID))
        async with client_of(tg) as bot:
            for n in range(3):
                await bot.send_message(chat["id"], f"burst {n}")
            with pytest.raises(RetryAfter) as excinfo:
                await bot.send_message(chat["id"], "one too many")
            await asyncio.sleep(excinfo.value.retry_after.total_seconds())
            await bot.send_message(chat["id"], "after waiting")

    assert tg.flood_429s == 1
    assert excinfo.value.retry_after <= dtm.timedelta(seconds=0.3)


async def test_get_updates_long_polls_and_offset_confirms(
    tg: FakeTelegram, bot: Bot, ann: JSONDict, chat: JSONDict
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_for("getUpdates")  # the long poll is now waiting inside the fake
    started = time.monotonic()

    tg.send_text(chat, ann, "hello")
    [update] = await poll

    assert time.monotonic() - started < 1
    assert update.message is not None
    assert update.message.text == "hello"
    # Not confirmed yet, so it comes again; an offset past it confirms it.
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1) == ()


async def test_application_receives_a_command_and_a_button_press(
    tg: FakeTelegram, ann: JSONDict, chat: JSONDict
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("Welcome", do_quote=True, reply_markup=keyboard("v1:go"))

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer(f"pressed {update.callback_query.data}")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{tg.root_url}/bot")
        .base_file_url(f"{tg.root_url}/file/bot")
        .rate_limiter(AIORateLimiter())
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        command = tg.send_text(chat, ann, "/start")
        await tg.wait_for("sendMessage")
        [welcome] = tg.bot_messages(USER_ID)
        query_id = tg.press_button(chat, ann, welcome, "v1:go")
        [answer] = await tg.wait_for("answerCallbackQuery")
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    assert welcome["text"] == "Welcome"
    assert welcome["reply_to_message"]["message_id"] == command["message_id"]
    assert answer.ok
    assert answer.params == {"callback_query_id": query_id, "text": "pressed v1:go"}


async def test_album_and_edit_message_media(tg: FakeTelegram, bot: Bot, chat: JSONDict) -> None:
    album = await bot.send_media_group(
        chat["id"], [InputMediaPhoto(png(10, 10)), InputMediaPhoto(png(20, 10), caption="two")]
    )
    progress = await bot.send_photo(chat["id"], png(8, 8), caption="10%")
    edited = await bot.edit_message_media(
        InputMediaPhoto(png(16, 16), caption="50%"), chat["id"], progress.message_id
    )

    assert len(album) == 2
    assert album[0].media_group_id is not None
    assert album[0].media_group_id == album[1].media_group_id
    assert (album[1].photo[-1].width, album[1].caption) == (20, "two")
    assert (edited.photo[-1].width, edited.caption) == (16, "50%")
    assert tg.bot_messages(USER_ID)[-1]["caption"] == "50%"


async def test_group_migration_raises_chat_migrated_for_the_old_id(
    tg: FakeTelegram, bot: Bot, ann: JSONDict
) -> None:
    old = tg.group(-4000, title="Artists")
    new = tg.migrate_group(old, SUPERGROUP_ID, by=ann)

    with pytest.raises(ChatMigrated) as excinfo:
        await bot.send_message(old["id"], "hello?")
    sent = await bot.send_message(new["id"], "hello!")
    updates = await bot.get_updates()

    assert excinfo.value.new_chat_id == SUPERGROUP_ID
    assert sent.chat.type == "supergroup"
    assert [u.message.migrate_to_chat_id for u in updates if u.message] == [SUPERGROUP_ID, None]


async def test_chat_queries_parse_in_ptb(tg: FakeTelegram, bot: Bot, ann: JSONDict) -> None:
    tg.group(SUPERGROUP_ID, title="Artists", type="supergroup")
    tg.user(7, first_name="Boss")
    tg.set_admins(SUPERGROUP_ID, [USER_ID], anonymous=[USER_ID], creator=7)

    admins = await bot.get_chat_administrators(SUPERGROUP_ID)
    stranger = await bot.get_chat_member(SUPERGROUP_ID, 99)
    info = await bot.get_chat(SUPERGROUP_ID)

    assert [(a.user.id, a.status) for a in admins] == [(7, "creator"), (USER_ID, "administrator")]
    assert admins[1].is_anonymous
    assert stranger.status == "member"
    assert (info.title, info.type) == ("Artists", "supergroup")


async def test_commands_are_stored_per_scope(bot: Bot) -> None:
    await bot.set_my_commands([("imagine", "Draw a picture")])

    [command] = await bot.get_my_commands()
    await bot.delete_my_commands()

    assert (command.command, command.description) == ("imagine", "Draw a picture")
    assert await bot.get_my_commands() == ()


async def test_wait_for_times_out_with_a_transcript(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(AssertionError, match=r"(?s)sendPhoto.*getMe"):
        await tg.wait_for("sendPhoto", timeout=0.05)

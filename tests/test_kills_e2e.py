"""SIGKILL between two steps of a delivery (issue 14, cases 5 and 6): the result goes into the
job's one message with editMessageMedia, so a kill after Telegram took it and before the bot
recorded it repeats the edit, never the message; in groups nothing waits for a delete."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.settings import Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import Call, FakeTelegram

pytestmark = pytest.mark.slow  # processes or a browser: out of the inner loop


def shown_results(tg: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    """The chat's bot messages that show a picture with buttons, as the user sees them now."""
    return [m for m in tg.bot_messages(chat_id) if m.get("photo") and m.get("reply_markup")]


def carries_result(call: Call) -> bool:
    return call.carries_result


@pytest.mark.parametrize("where", ["private", "group"])
async def test_a_kill_after_telegram_took_the_result_shows_it_once(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    discord_settings: Callable[..., Settings],
    bot_process: Callable[..., Any],
    where: str,
) -> None:
    settings = discord_settings()
    first = await bot_process(settings)
    user = tg.user(180)
    if where == "group":
        chat = tg.group(-180, "Kites")
        tg.send_text(chat, user, "/imagine@mj_test_bot a box kite")
    else:
        chat = tg.private_chat(user)
        tg.send_text(chat, user, "/imagine a box kite")

    async def kill_inside_the_result(call: Call) -> None:
        # Telegram takes the call (the fake goes on to carry it out); the bot never hears back.
        if carries_result(call) and first.returncode is None:
            first.kill()
            await first.wait()

    tg.on_call = kill_inside_the_result
    await tg.wait_for(("sendPhoto", "editMessageMedia"), carries_result, timeout=20)
    await first.wait()
    tg.on_call = None
    assert len(shown_results(tg, chat["id"])) == 1

    await bot_process(settings)  # delivers what it did not see delivered
    await tg.wait_for(("sendPhoto", "editMessageMedia"), carries_result, count=2, timeout=20)
    await asyncio.sleep(0.5)
    assert len(shown_results(tg, chat["id"])) == 1, "the result was sent twice"
    assert len(tg.bot_messages(chat["id"])) == 1, "one message per job"

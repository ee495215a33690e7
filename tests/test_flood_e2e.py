"""Telegram's flood limits, enforced by the fake at ten times the real speed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.settings import Settings
from tests.fakes.telegram import FakeTelegram
from tests.helpers import StartBot


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """Overrides conftest's: this fake answers 429 like Telegram when a chat floods."""
    async with FakeTelegram(flood_limits=True, window_scale=0.1) as fake:
        yield fake


async def test_a_busy_private_chat_and_group_stay_inside_telegrams_flood_limits(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    # Telegram's 3 s between progress edits and its message rates, at the fake's 10x speed.
    await start_bot(make_settings(progress_edit_interval_s=0.3, telegram_chat_rate=10))
    ann = tg.user(150)
    room = tg.private_chat(ann)
    group = tg.group(-150, "Busy group")
    for n in range(5):
        tg.send_text(room, ann, f"/imagine private {n}")
        tg.send_text(group, ann, f"/imagine@mj_test_bot group {n}")
    photos = await tg.wait_for_results(lambda c: c.ok, count=10, timeout=30)
    assert len(photos) == 10
    assert tg.flood_429s == 0

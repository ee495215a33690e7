"""Webhook mode: PTB's webhook server takes the updates that the fake Telegram pushes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from bot.app import run
from bot.settings import Settings, SettingsError, load_settings
from tests.fakes.telegram import FakeTelegram
from tests.helpers import free_port

SECRET = "s3cret-token_1"
PUBLIC_URL = "https://bot.example/telegram/hook"


@pytest.fixture
async def webhook(
    tg: FakeTelegram, make_settings: Callable[..., Settings]
) -> AsyncIterator[Settings]:
    port = free_port()
    settings = make_settings(
        telegram_webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
        telegram_webhook_secret=SECRET,
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop=stop))
    await tg.wait_for("setWebhook", timeout=15)
    yield settings
    stop.set()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 15)


async def test_updates_arrive_by_webhook_and_the_job_is_delivered(
    tg: FakeTelegram, webhook: Settings
) -> None:
    [hook] = tg.calls_of("setWebhook")
    assert hook.params["url"] == webhook.telegram_webhook_url
    assert hook.params["secret_token"] == SECRET

    user = tg.user(5)
    tg.send_text(tg.private_chat(user), user, "/imagine a harbour at dawn")
    await tg.wait_for_results(lambda c: c.ok, timeout=10)
    assert tg.calls_of("getUpdates") == []
    assert 200 in tg.webhook_pushes


async def test_posts_without_the_secret_are_refused(tg: FakeTelegram, webhook: Settings) -> None:
    assert webhook.telegram_webhook_url is not None
    update = {"update_id": 99, "message": {"message_id": 1, "date": 0, "text": "/imagine x"}}
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(webhook.telegram_webhook_url, json=update, headers=headers) as r:
                assert r.status == 403
    await asyncio.sleep(0.2)  # what the bot would do with it, it would have started by now
    assert tg.calls_of("sendMessage") == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TELEGRAM_WEBHOOK_URL": PUBLIC_URL}, "TELEGRAM_WEBHOOK_SECRET is required"),
        (
            {"TELEGRAM_WEBHOOK_URL": PUBLIC_URL, "TELEGRAM_WEBHOOK_SECRET": "a b"},
            "TELEGRAM_WEBHOOK_SECRET is invalid",
        ),
    ],
)
def test_a_webhook_needs_a_valid_secret(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:T")
    monkeypatch.setenv("MIDJOURNEY_BACKEND", "simulator")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_settings(_env_file=None)

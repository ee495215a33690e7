"""An account pool: jobs spread over healthy accounts, buttons go to the account that owns the
message, and an account that needs attention leaves the pool while the others go on."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from tests.fakes.discord import FakeDiscord, prompt_of
from tests.fakes.telegram import STATUS_EDITS, FakeTelegram
from tests.helpers import (
    CHANNEL_ID,
    DISCORD_USER_TOKEN,
    Stack,
    button,
    discord_fake_wait,
)

ADMIN = 990
BETA_TOKEN = "user-token-beta"
BETA_CHANNEL = "333333333333333333"


@pytest.fixture
def pool_settings(
    tmp_path: Path, discord_fake: FakeDiscord, discord_settings: Callable[..., Settings]
) -> Callable[..., Settings]:
    discord_fake.add_user(BETA_TOKEN)
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(
        f"""
[[account]]
name = "alpha"
user_token = "{DISCORD_USER_TOKEN}"
channel_id = {CHANNEL_ID}
concurrency = 1

[[account]]
name = "beta"
user_token = "{BETA_TOKEN}"
channel_id = {BETA_CHANNEL}
concurrency = 1
mode = "relax"
"""
    )

    def make(**overrides: Any) -> Settings:
        return discord_settings(
            discord_accounts=str(accounts),
            discord_user_token=None,
            discord_channel_id=None,
            admin_user_ids=str(ADMIN),
            **overrides,
        )

    return make


@pytest.fixture
def pool(stack: Stack, pool_settings: Callable[..., Settings]) -> Stack:
    """The stack with the two accounts of the pool."""
    return dataclasses.replace(stack, settings=pool_settings)


def channel_of(payload: dict[str, Any]) -> str:
    return str(payload["channel_id"])



async def test_jobs_spread_over_the_accounts_each_within_its_concurrency(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, pool: Stack
) -> None:
    model.step_delay = 0.03
    await pool.start()
    users = [tg.user(300 + n) for n in range(4)]
    for user in users:
        tg.send_text(tg.private_chat(user), user, f"/imagine lantern {user['id']}")
    photos = await tg.wait_for_results(lambda c: c.ok, count=4, timeout=15)
    assert {p.params["chat_id"] for p in photos} == {u["id"] for u in users}

    payloads = discord_fake.interactions
    assert {channel_of(p) for p in payloads} == {CHANNEL_ID, BETA_CHANNEL}
    assert model.max_in_flight_by_channel == {CHANNEL_ID: 1, BETA_CHANNEL: 1}
    tokens = {channel_of(p): h["Authorization"] for p, h in zip(
        payloads, discord_fake.interaction_headers, strict=True
    )}
    assert tokens == {CHANNEL_ID: DISCORD_USER_TOKEN, BETA_CHANNEL: BETA_TOKEN}
    # The relax account's jobs say so; the other account's prompts are left alone.
    for payload in payloads:
        relaxed = prompt_of(payload).endswith("--relax")
        assert relaxed == (channel_of(payload) == BETA_CHANNEL), prompt_of(payload)


async def test_a_button_goes_to_the_account_that_owns_the_message(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, pool: Stack
) -> None:
    model.hang_words = {"forever"}
    await pool.start(mj_job_timeout_s=0.5)
    ann = tg.user(310)
    chat = tg.private_chat(ann)
    tg.send_text(chat, ann, "/imagine a clock that runs forever")  # holds alpha for a while
    await discord_fake_wait(discord_fake, 1)
    tg.send_text(chat, ann, "/imagine a paper boat")  # so this one runs on beta
    [grid] = await tg.wait_for_results(lambda c: c.ok)
    await tg.wait_for(STATUS_EDITS, lambda c: "❌" in c.text)  # alpha is free

    message = tg.message(chat["id"], grid.result["message_id"])
    assert message is not None
    tg.press_button(chat, ann, message, button(grid, "U2")["callback_data"])
    await tg.wait_for_results(lambda c: c.ok, count=2)
    tap = discord_fake.interactions[-1]
    assert tap["type"] == 3
    assert channel_of(tap) == BETA_CHANNEL
    assert discord_fake.interaction_headers[-1]["Authorization"] == BETA_TOKEN


async def test_an_account_that_needs_attention_leaves_the_pool_and_the_other_goes_on(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, pool: Stack
) -> None:
    model.ephemeral_errors = True
    model.error_words = {"captcha": ("Action needed to continue", "Please verify you're human")}
    await pool.start()
    ann, bob = tg.user(320), tg.user(321)
    tg.send_text(tg.private_chat(ann), ann, "/imagine a captcha cat")  # alpha, free first
    alert = await tg.wait_for("sendMessage", lambda c: c.params["chat_id"] == ADMIN)
    assert "alpha" in alert[0].params["text"]

    for n in range(3):
        tg.send_text(tg.private_chat(bob), bob, f"/imagine a patient dog {n}")
    await tg.wait_for_results(lambda c: c.ok and c.params["chat_id"] == 321, count=3)
    later = discord_fake.interactions[1:]
    assert [channel_of(p) for p in later] == [BETA_CHANNEL] * 3
    # Nobody was put on hold: the pool still had a healthy account.
    assert all("On hold" not in c.text for c in tg.calls_of(STATUS_EDITS))

    admin = tg.user(ADMIN)
    tg.send_text(tg.private_chat(admin), admin, "/stats")
    stats = await tg.wait_for("sendMessage", lambda c: "beta" in c.params["text"])
    body = stats[-1].params["text"]
    assert "• alpha: 0/1 running, ⏸ Action needed to continue" in body
    assert "• beta: 0/1 running, healthy" in body

    # /resume brings the paused account back, though the pool as a whole never stopped.
    tg.send_text(tg.private_chat(admin), admin, "/resume")
    await tg.wait_for("sendMessage", lambda c: "Resumed" in c.params["text"])
    tg.send_text(tg.private_chat(admin), admin, "/stats")
    await tg.wait_for("sendMessage", lambda c: "• alpha: 0/1 running, healthy" in c.params["text"])

"""Faults injected into the fakes: rate limits, server errors, dropped connections, bad tokens."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import STATUS_EDITS, FakeTelegram, has_result_keys
from tests.forkserver import fork_bot
from tests.helpers import Stack, StartBot, environment, imagine_in


@pytest.mark.parametrize("method", ["sendPhoto", "editMessageMedia", "editMessageCaption"])
async def test_telegram_429_storm_still_delivers_everything_once(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot, method: str
) -> None:
    tg.fail_next(method, error_code=429, retry_after=0.05, times=4)
    await start_bot(make_settings())
    chats = await imagine_in(tg, 3)
    photos = await tg.wait_for_results(count=3, timeout=15)
    assert sorted(p.params["chat_id"] for p in photos) == sorted(chats)
    # Each result went into its job's one message: nothing to clean up, nothing extra.
    assert not tg.calls_of("deleteMessage")
    for chat in chats:
        (message,) = tg.bot_messages(chat)
        assert message.get("reply_markup"), "the job's message holds the result"
    failed = [c.response or {} for c in tg.calls_of(method) if not c.ok]
    assert len([f for f in failed if f.get("error_code") == 429]) == 4
    # Besides the storm, only a result put in again after a progress edit that may have
    # landed over it (bot/progress.py overtake), which Telegram answers "not modified"
    # when that edit had in fact come first.
    assert all(
        f.get("error_code") == 429 or "not modified" in f.get("description", "") for f in failed
    )
    await asyncio.sleep(0.1)
    assert len(tg.results()) == 3


async def test_a_dropped_connection_while_sending_a_result_is_retried(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    tg.fail_next("editMessageMedia", error_code=0, times=2, when=has_result_keys)
    await start_bot(make_settings())
    await imagine_in(tg, 1)
    photos = await tg.wait_for_results(lambda c: c.ok, timeout=15)
    assert len(photos) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": 0.05, "times": 3},
        {"status": 429, "retry_after": 0.05, "times": 2, "is_global": True},
        {"status": 502, "times": 2},
        {"status": 502, "times": 2, "text": "<html><center>cloudflare</center></html>"},
        {"status": 503, "text": "upstream reset", "content_type": "text/plain", "times": 1},
    ],
    ids=["route-429", "global-429", "5xx", "html-502", "text-503"],
)
async def test_discord_rate_limits_and_server_errors_are_waited_out(
    tg: FakeTelegram, discord_fake: FakeDiscord, stack: Stack, fault: dict[str, object]
) -> None:
    await stack.start()
    discord_fake.fail_next("POST", r"/interactions$", **fault)  # type: ignore[arg-type]
    await imagine_in(tg, 1)
    photo = (await tg.wait_for_results(timeout=15))[0]
    assert photo.ok
    assert len(discord_fake.interactions) == 1
    posts = [r for r in discord_fake.requests if r == ("POST", "/api/v10/interactions")]
    assert len(posts) == 1 + int(fault["times"])  # type: ignore[arg-type]


async def test_a_late_5xx_after_discord_took_the_interaction_still_delivers_once(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack
) -> None:
    await stack.start()
    # Discord runs the interaction, then its edge answers an HTML 502: the retry repeats the
    # nonce, which Discord drops, and the job waits for Midjourney's messages.
    discord_fake.fail_next(
        "POST", r"/interactions$", status=502, text="<html>502</html>", late=True
    )
    await imagine_in(tg, 1)
    photo = (await tg.wait_for_results(timeout=15))[0]
    assert photo.ok
    nonces = [payload["nonce"] for payload in model.interactions]
    assert len(nonces) == 2
    assert len(set(nonces)) == 1, "the retry must repeat the nonce"
    await asyncio.sleep(0.2)
    assert len(tg.results()) == 1


@pytest.mark.parametrize("kind", ["bot", "user"])
async def test_a_gateway_drop_in_the_middle_of_a_job(
    tg: FakeTelegram, discord_fake: FakeDiscord, model: MidjourneyModel, stack: Stack, kind: str
) -> None:
    model.step_delay = 0.1
    await stack.start()
    await imagine_in(tg, 1)
    await tg.wait_for(STATUS_EDITS, lambda c: "%" in c.text)
    await discord_fake.drop_connections(kind)  # type: ignore[arg-type]
    photo = (await tg.wait_for_results(timeout=15))[0]
    assert photo.ok
    assert discord_fake.resumes, "the client should have resumed its session"


@pytest.mark.slow  # a process of its own
@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("DISCORD_BOT_TOKEN", "wrong-bot-token", "DISCORD_BOT_TOKEN"),
        ("DISCORD_USER_TOKEN", "wrong-user-token", "DISCORD_USER_TOKEN"),
        ("TELEGRAM_BOT_TOKEN", "999:wrong", None),
    ],
)
async def test_a_refused_token_at_start_exits_with_one_clear_line(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    discord_settings: Callable[..., Settings],
    tmp_path: Path,
    variable: str,
    value: str,
    named: str | None,
) -> None:
    if variable == "TELEGRAM_BOT_TOKEN":
        tg.reject_token = value  # the fake answers 401 for this token
    env = environment(discord_settings())
    env[variable] = value
    process = await fork_bot(env, tmp_path)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    lines = [line for line in err.decode().splitlines() if line.startswith("error:")]
    assert len(lines) == 1
    assert (named or "TELEGRAM_BOT_TOKEN") in lines[0]
    assert value not in err.decode()

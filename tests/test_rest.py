"""bridge/rest.py against the fake Discord: the status before the body, one retry policy,
typed errors once the retries are spent, and a late 5xx that must not lose the result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bridge.accounts import Account
from bridge.dispatcher import Dispatcher
from bridge.errors import (
    BridgeError,
    DiscordHTTPError,
    DiscordMaybeSent,
    DiscordRateLimited,
    DiscordUnavailable,
)
from bridge.interactions import Interaction
from bridge.rest import DiscordRest
from bridge.simulator import MidjourneyModel, SimulatorBackend
from storage.db import Database
from tests.fakes.discord import FakeDiscord
from tests.helpers import DISCORD_USER_TOKEN, Recorder, add_job, quota_state

CLOUDFLARE_502 = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    "</center><hr><center>cloudflare</center></body></html>"
)
PLAIN_503 = "upstream connect error or disconnect/reset before headers. reset reason: overflow"


@pytest.fixture
async def rest(discord_fake: FakeDiscord) -> AsyncIterator[DiscordRest]:
    client = DiscordRest(
        api_url=discord_fake.api_url, user_token=DISCORD_USER_TOKEN, attempts=3, backoff=0.01
    )
    await client.start()
    yield client
    await client.aclose()


def posts(discord_fake: FakeDiscord, path: str) -> int:
    return sum(1 for request in discord_fake.requests if request == ("POST", path))


@pytest.mark.parametrize(
    ("status", "text", "content_type"),
    [(502, CLOUDFLARE_502, "text/html"), (503, PLAIN_503, "text/plain"), (500, "", "text/plain")],
    ids=["cloudflare-html-502", "plain-text-503", "empty-500"],
)
async def test_a_5xx_that_is_not_json_is_retried(
    rest: DiscordRest, discord_fake: FakeDiscord, status: int, text: str, content_type: str
) -> None:
    discord_fake.fail_next(
        "GET", r"/application-command-index$", status=status, text=text,
        content_type=content_type, times=2,
    )
    commands = await rest.command_index(discord_fake.guild_id)
    assert commands, "the third try reads the index"
    gets = [r for r in discord_fake.requests if r[1].endswith("/application-command-index")]
    assert len(gets) == 3


async def test_spent_retries_on_a_get_are_a_typed_bridge_error(
    rest: DiscordRest, discord_fake: FakeDiscord
) -> None:
    discord_fake.fail_next("GET", r"/messages", status=502, text=CLOUDFLARE_502, times=10)
    with pytest.raises(DiscordUnavailable) as caught:
        await rest.channel_messages(discord_fake.channel_id, 10)
    assert caught.value.status == 502
    assert not isinstance(caught.value, DiscordMaybeSent)  # a GET changes nothing


async def test_spent_retries_on_an_interaction_say_it_may_have_been_sent(
    rest: DiscordRest, discord_fake: FakeDiscord
) -> None:
    discord_fake.fail_next("POST", r"/interactions$", status=503, text=PLAIN_503, times=10)
    with pytest.raises(DiscordMaybeSent) as caught:
        await rest.post_interaction({"type": 2, "nonce": "1"})
    assert isinstance(caught.value, BridgeError)
    assert caught.value.status == 503
    assert posts(discord_fake, "/api/v10/interactions") == 3


async def test_a_429_is_waited_out_by_its_retry_after_even_with_an_html_body(
    rest: DiscordRest, discord_fake: FakeDiscord
) -> None:
    # The edge's 429 page carries its wait in the header only.
    discord_fake.fail_next(
        "GET", r"/application-command-index$", status=429, text="<html>429</html>",
        retry_after=0.05, times=1,
    )
    discord_fake.fail_next("GET", r"/application-command-index$", status=429, times=1)
    assert await rest.command_index(discord_fake.guild_id)


async def test_a_429_on_every_try_is_rate_limited_not_maybe_sent(
    rest: DiscordRest, discord_fake: FakeDiscord
) -> None:
    discord_fake.fail_next("POST", r"/interactions$", status=429, retry_after=0.01, times=10)
    with pytest.raises(DiscordRateLimited):
        await rest.post_interaction({"type": 2, "nonce": "1"})


async def test_a_4xx_with_a_non_json_body_is_discords_refusal(
    rest: DiscordRest, discord_fake: FakeDiscord
) -> None:
    discord_fake.fail_next("POST", r"/interactions$", status=403, text="<html>denied</html>")
    with pytest.raises(DiscordHTTPError) as caught:
        await rest.post_interaction({"type": 2, "nonce": "1"})
    assert caught.value.status == 403
    assert not isinstance(caught.value, DiscordUnavailable)
    assert posts(discord_fake, "/api/v10/interactions") == 1  # refused: not retried


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 503, "text": PLAIN_503, "content_type": "text/plain"},
        {"status": 429, "retry_after": 0.01},
        {"status": 502, "text": CLOUDFLARE_502},
    ],
    ids=["503", "429", "502"],
)
async def test_a_cdn_download_is_retried(
    rest: DiscordRest, discord_fake: FakeDiscord, fault: dict[str, object]
) -> None:
    url = discord_fake.put_cdn("grid.png", b"picture")
    discord_fake.fail_next("GET", r"^/cdn/attachments/", times=2, **fault)  # type: ignore[arg-type]
    assert await rest.download(url) == b"picture"


async def test_a_cdn_that_stays_down_is_a_typed_error(
    rest: DiscordRest, discord_fake: FakeDiscord
) -> None:
    url = discord_fake.put_cdn("grid.png", b"picture")
    discord_fake.fail_next("GET", r"^/cdn/attachments/", status=503, text=PLAIN_503, times=10)
    with pytest.raises(DiscordUnavailable):
        await rest.download(url)


class _LateFailure(SimulatorBackend):
    """Discord takes every interaction, then its edge answers 5xx until our retries are spent."""

    async def submit(self, interaction: Interaction) -> None:
        await super().submit(interaction)
        raise DiscordMaybeSent(502)


async def test_a_late_5xx_after_discord_took_the_interaction_keeps_the_result(
    tmp_path: Path,
) -> None:
    model = MidjourneyModel(step_delay=0.001, image_size=64)
    recorder = Recorder()
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}") as db:
        mj = Dispatcher(
            db=db,
            accounts=[Account("main", _LateFailure(model), 1)],
            queue_limit=10,
            job_timeout=5.0,
        )
        async with mj:
            mj.subscribe(recorder)
            job_id = await add_job(db, prompt="a lighthouse at dusk")
            await mj.submit(job_id, chat_id=1)
            (finished,) = await recorder.finished(1)
        assert finished.job_id == job_id
        assert type(finished).__name__ == "JobSucceeded", finished
        assert (await quota_state(db, job_id)).value == "charged"


async def test_a_maybe_sent_interaction_that_never_answers_times_out_and_refunds(
    tmp_path: Path,
) -> None:
    class _Lost(SimulatorBackend):
        async def submit(self, interaction: Interaction) -> None:
            raise DiscordMaybeSent(None)

    model = MidjourneyModel(step_delay=0.001, image_size=64)
    recorder = Recorder()
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}") as db:
        mj = Dispatcher(
            db=db, accounts=[Account("main", _Lost(model), 1)], queue_limit=10, job_timeout=0.3
        )
        async with mj:
            mj.subscribe(recorder)
            job_id = await add_job(db, prompt="a lost kite")
            await mj.submit(job_id, chat_id=1)
            (finished,) = await recorder.finished(1)
        assert getattr(finished, "reason", None) == "timeout"
        assert (await quota_state(db, job_id)).value == "refunded"

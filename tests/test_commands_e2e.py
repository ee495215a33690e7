"""Keeping up with Midjourney, end to end through the fake Discord.

Live command look-up (a stale version is looked up again), remix forms answered over the user
gateway, /shorten, and the operators' /mjinfo, /fast and /relax.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from bot.settings import Settings
from bridge.interactions import new_nonce
from bridge.messages import Completed, MjEvent, ResultKind
from bridge.simulator import MidjourneyModel, SimulatorBackend, shortened
from storage.db import Database
from storage.models import QuotaEntry
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import Call, FakeTelegram
from tests.helpers import PrivateChat, Stack, keyboard, reply_to

OPERATOR = 501
_INDEX = "/application-command-index"


class User(PrivateChat):
    """One Telegram user in their private chat with the bot."""

    async def text(self, predicate: Callable[[str], bool]) -> Call:
        def matches(call: Call) -> bool:
            return call.params["chat_id"] == self.room["id"] and predicate(call.params["text"])

        # Words go into the job's text message (or a new one when there is none).
        return (await self.tg.wait_for(("sendMessage", "editMessageText"), matches))[-1]


@pytest.fixture
async def user(stack: Stack) -> User:
    await stack.start(admin_user_ids=str(OPERATOR))
    return User(stack.tg, OPERATOR)


def index_reads(discord: FakeDiscord) -> int:
    return sum(1 for method, path in discord.requests if method == "GET" and path.endswith(_INDEX))


# --- live command look-up -------------------------------------------------------------------


async def test_a_stale_command_version_is_looked_up_again_and_the_job_succeeds(
    user: User, discord_fake: FakeDiscord
) -> None:
    assert index_reads(discord_fake) == 1  # read once at start
    old = next(c for c in discord_fake.commands if c["name"] == "imagine")["version"]
    discord_fake.set_command_version("imagine", "999")  # Midjourney redeployed meanwhile

    request = user.say("/imagine a lighthouse in fog")
    photo = await user.photo(1)

    assert reply_to(photo) == request["message_id"]
    first, second = discord_fake.interactions
    assert (first["data"]["name"], first["data"]["version"]) == ("imagine", old)
    assert (second["data"]["name"], second["data"]["version"]) == ("imagine", "999")
    assert second["data"]["options"] == first["data"]["options"]
    assert index_reads(discord_fake) == 2  # one extra look-up, not one per job

    # The new version is kept: the next job goes through at the first try.
    user.say("/imagine a lighthouse at noon")
    await user.photo(2)
    assert [p["data"]["version"] for p in discord_fake.interactions[2:]] == ["999"]
    assert index_reads(discord_fake) == 2


# --- remix mode over the user gateway -------------------------------------------------------


async def test_remix_mode_variation_form_is_submitted_through_discord(
    user: User, discord_fake: FakeDiscord, model: MidjourneyModel
) -> None:
    model.remix = True
    user.say("/imagine a paper boat")
    user.press(await user.photo(1), "V1")
    variation = await user.photo(2)

    press, submit = discord_fake.interactions[-2:]
    assert press["type"] == 3
    assert press["data"]["custom_id"].startswith("MJ::JOB::variation::1::")
    assert submit["type"] == 5
    assert submit["data"]["custom_id"].startswith("MJ::RemixModal::")
    # data.id is the id Discord gave the press, seen only by the account's own gateway session.
    assert submit["data"]["id"].isdigit()
    assert submit["data"]["id"] not in (press["nonce"], submit["nonce"])
    field = submit["data"]["components"][0]["components"][0]
    assert field == {"type": 4, "custom_id": "MJ::RemixModal::new_prompt", "value": "a paper boat"}
    assert variation.caption == "Variations of picture 1 — a paper boat"


async def test_remix_mode_pan_form_is_submitted_through_discord(
    user: User, discord_fake: FakeDiscord, model: MidjourneyModel
) -> None:
    model.remix = True
    user.say("/imagine a mountain road")
    user.press(await user.photo(1), "U2")
    user.press(await user.photo(2), "⬅️")
    await user.photo(3)

    press, submit = discord_fake.interactions[-2:]
    assert press["data"]["custom_id"].startswith("MJ::JOB::pan_left::")
    assert submit["type"] == 5
    assert submit["data"]["custom_id"].startswith("MJ::PanModal::left::")
    field = submit["data"]["components"][0]["components"][0]
    assert field == {"type": 4, "custom_id": "MJ::PanModal::prompt", "value": "a mountain road"}


# --- /shorten -------------------------------------------------------------------------------


async def test_shorten_suggestions_come_back_with_buttons_that_draw_them(
    user: User, discord_fake: FakeDiscord
) -> None:
    prompt = "a red fox, snowy pine forest, golden hour, volumetric light --ar 3:2"
    request = user.say(f"/shorten {prompt}")
    answer = await user.text(lambda body: "shorter versions" in body)

    sent = discord_fake.interactions[0]
    assert sent["data"]["name"] == "shorten"
    assert sent["data"]["options"] == [{"type": 3, "name": "prompt", "value": prompt}]
    suggestions = shortened(prompt)
    assert len(suggestions) >= 3
    for n, suggestion in enumerate(suggestions, 1):
        assert f"{n}\ufe0f\u20e3 {suggestion}" in answer.params["text"]
    assert reply_to(answer) == request["message_id"]
    labels = [key["text"] for row in keyboard(answer) for key in row]
    assert labels == [f"{n}\ufe0f\u20e3" for n in range(1, len(suggestions) + 1)]

    user.press(answer, "2\ufe0f\u20e3")
    photo = await user.photo(1)
    drawn = discord_fake.interactions[-1]
    assert drawn["data"]["name"] == "imagine"
    assert drawn["data"]["options"][0]["value"] == suggestions[1]
    assert photo.caption == suggestions[1]


async def test_shorten_without_a_prompt_explains_itself(user: User) -> None:
    user.say("/shorten")
    await user.text(lambda body: "/shorten followed by" in body)


# --- /mjinfo, /fast, /relax -----------------------------------------------------------------


async def quota_rows(settings: Settings) -> list[QuotaEntry]:
    async with Database(settings.database_url) as db, db.transaction() as session:
        return list((await session.exec(select(QuotaEntry))).all())


async def test_mjinfo_shows_the_accounts_info_without_using_quota(
    user: User, discord_fake: FakeDiscord, discord_settings: Callable[..., Settings]
) -> None:
    request = user.say("/mjinfo")
    answer = await user.text(lambda body: body.startswith("ℹ️"))

    assert discord_fake.interactions[0]["data"]["name"] == "info"
    body = answer.params["text"]
    assert "Plan: Standard (Active monthly)" in body
    assert "Fast time left: 12.3/15.0 hours (82%)" in body
    assert "Queued jobs (fast): 0" in body
    assert "Queued jobs (relax): 0" in body
    assert reply_to(answer) == request["message_id"]
    assert await quota_rows(discord_settings()) == []


async def test_relax_and_fast_switch_the_accounts_mode(
    user: User, discord_fake: FakeDiscord, model: MidjourneyModel
) -> None:
    user.say("/relax")
    relaxed = await user.text(lambda body: "relax mode" in body)
    assert "Done! Your jobs now do not consume fast-hours" in relaxed.params["text"]
    assert model.job_mode == "relax"
    assert discord_fake.interactions[-1]["data"]["name"] == "relax"

    user.say("/imagine a slow river")
    await user.photo(1)
    assert model.results[discord_fake.interactions[-1]["nonce"]]["message"]["content"].endswith(
        "(relaxed)"
    )

    user.say("/fast")
    await user.text(lambda body: "fast mode" in body)
    assert model.job_mode == "fast"
    user.say("/mjinfo")
    info = await user.text(lambda body: body.startswith("ℹ️"))
    assert "Mode: Fast" in info.params["text"]


async def test_account_commands_are_for_operators_only(
    tg: FakeTelegram, user: User, discord_fake: FakeDiscord
) -> None:
    stranger = User(tg, 502)
    for command in ("/mjinfo", "/fast", "/relax"):
        stranger.say(command)
    told = await tg.wait_for(
        "sendMessage",
        lambda c: c.params["chat_id"] == 502 and "operators" in c.params["text"],
        count=3,
    )
    assert len(told) == 3
    await asyncio.sleep(0.1)
    assert discord_fake.interactions == []


# --- the model's account state, without the bot ---------------------------------------------


async def test_the_model_keeps_the_accounts_remix_and_mode_like_midjourney() -> None:
    model = MidjourneyModel(step_delay=0)
    backend = SimulatorBackend(model)  # the model's channel; its messages go through the parser
    events: list[MjEvent] = []

    async def sink(event: MjEvent) -> None:
        events.append(event)

    await backend.start(sink)

    async def send(kind: int, data: dict[str, Any], **extra: Any) -> list[Completed]:
        events.clear()
        payload = {"type": kind, "nonce": new_nonce(), "channel_id": "2", "data": data, **extra}
        await model.on_interaction(payload, backend)
        return [event for event in events if isinstance(event, Completed)]

    def command(name: str, *options: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "options": list(options), "attachments": []}

    remix = {"type": 1, "name": "remix", "options": []}
    (on,) = await send(2, command("prefer", remix))
    assert (on.kind, on.ref.flags) == (ResultKind.NOTICE, 64)
    assert on.texts[0].startswith("Remix mode turned on")
    assert model.remix
    (off,) = await send(2, command("prefer", remix))
    assert off.texts[0].startswith("Remix mode turned off")
    assert not model.remix

    # /settings: an ephemeral message whose buttons show (style 3) and flip the state.
    assert await send(2, command("settings")) == []
    settings = next(iter(m for m in backend._messages.values() if "settings" in m["content"]))
    styles = {b["label"]: b["style"] for row in settings["components"] for b in row["components"]}
    assert (styles["Remix mode"], styles["Fast mode"], styles["Relax mode"]) == (2, 3, 2)
    for custom_id in ("MJ::Settings::RemixMode", "MJ::Settings::RelaxMode"):
        await send(3, {"component_type": 2, "custom_id": custom_id}, message_id=settings["id"])
    assert (model.remix, model.job_mode) == (True, "relax")
    redrawn = backend._messages[settings["id"]]
    styles = {b["label"]: b["style"] for row in redrawn["components"] for b in row["components"]}
    assert (styles["Remix mode"], styles["Fast mode"], styles["Relax mode"]) == (3, 2, 3)

    (info,) = await send(2, command("info"))
    assert info.kind is ResultKind.INFO
    assert "Job Mode: Relaxed" in info.texts
    (fast,) = await send(2, command("fast"))
    assert (fast.kind, model.job_mode) == (ResultKind.NOTICE, "fast")
    assert fast.texts[0].startswith("Done!")
    await backend.aclose()

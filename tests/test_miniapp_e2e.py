"""Vary (Region) through the fakes: the button, the page's API, the mask at Midjourney's editor,
the grid in the chat; and every request that must be refused."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from PIL import Image
from sqlmodel import select

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from bridge.simulator.inpaint import editor_of
from storage.db import Database
from storage.models import Job, QuotaEntry, QuotaState
from tests.fakes.activity import FakeActivityHost
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import STATUS_EDITS, Call, FakeTelegram
from tests.helpers import (
    PUBLIC_URL,
    Session,
    Stack,
    StartBot,
    button,
    free_port,
    init_data,
    keyboard,
    region_key,
    reply_to,
    token_of,
)

PROMPT = "a red fox in the snow"


@pytest.fixture
async def host(model: MidjourneyModel) -> AsyncIterator[FakeActivityHost]:
    async with FakeActivityHost(model) as fake:
        yield fake


@pytest.fixture
def miniapp_settings(
    discord_settings: Callable[..., Settings], host: FakeActivityHost
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "miniapp_public_url": PUBLIC_URL,
            "miniapp_port": free_port(),
            "discord_activity_url": host.base_url,
        }
        return discord_settings(**values | overrides)

    return make


@pytest.fixture
def miniapp(
    host: FakeActivityHost, stack: Stack, miniapp_settings: Callable[..., Settings]
) -> Stack:
    """The stack with the Mini App served and Vary Region's host behind it (the host first,
    so that it outlives the bot at teardown)."""
    return dataclasses.replace(stack, settings=miniapp_settings)


@dataclass
class MiniAppApi:
    """The Mini App's API as the page calls it."""

    base: str

    async def call(
        self, method: str, path: str, init: str, *, body: dict[str, Any] | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        headers = {"X-Telegram-Init-Data": init}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.base + path, json=body, headers=headers) as response,
        ):
            data = await response.read()
            kind = response.headers.get("Content-Type", "")
            value: Any = json.loads(data) if kind.startswith("application/json") else data
            return response.status, value, dict(response.headers)


def api(settings: Settings) -> MiniAppApi:
    return MiniAppApi(f"http://127.0.0.1:{settings.miniapp_port}/")


def painted_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> str:
    mask = Image.new("RGB", size, "black")
    mask.paste((255, 255, 255), box)
    out = io.BytesIO()
    mask.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def upscale(session: Session) -> Call:
    grid = await session.imagine(PROMPT)
    _, photo = await session.tap(grid, "U1")
    return photo


async def upscaled(miniapp: Stack) -> tuple[Session, Call, str]:
    """A user's upscale in their private chat, and the token of its Vary Region button."""
    session = Session.of(miniapp)
    photo = await upscale(session)
    return session, photo, token_of(region_key(photo))


async def quota_of(settings: Settings, job_id: int) -> QuotaState:
    async with Database(settings.database_url) as db, db.transaction() as session:
        entry = (await session.exec(select(QuotaEntry).where(QuotaEntry.job_id == job_id))).one()
    return entry.state


async def last_job(settings: Settings) -> Job:
    async with Database(settings.database_url) as db, db.transaction() as session:
        jobs = (await session.exec(select(Job).order_by(Job.id))).all()  # type: ignore[arg-type]
    return jobs[-1]


async def test_paint_submit_and_the_region_grid_replies_to_the_upscale(
    tg: FakeTelegram, discord_fake: FakeDiscord, host: FakeActivityHost, miniapp: Stack
) -> None:
    settings = await miniapp.start()
    page = api(settings)
    session = Session.of(miniapp)
    photo = await upscale(session)
    key = region_key(photo)
    # A private chat opens the Mini App straight from the button, on the public HTTPS URL.
    assert key["web_app"]["url"].startswith(f"{PUBLIC_URL}/?t=")
    token = token_of(key)
    init = init_data(session.user)

    status, job, headers = await page.call("GET", f"api/job?t={token}", init)
    assert status == 200
    assert job["prompt"].startswith(PROMPT)
    width, height = job["width"], job["height"]
    status, picture, _ = await page.call("GET", f"api/image?t={token}", init)
    assert status == 200
    assert Image.open(io.BytesIO(picture)).size == (width, height)
    assert "frame-ancestors" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"

    photos = len(tg.results())
    box = (width // 4, height // 4, width // 2, height // 2)
    body = {"t": token, "prompt": "a white owl", "mask": painted_mask((width, height), box)}
    status, answer, _ = await page.call("POST", "api/submit", init, body=body)
    assert (status, answer) == (200, {"ok": True})

    # The usual status message, answering the upscale, then the grid with its buttons.
    upscale_id = photo.result["message_id"]
    statuses = await tg.wait_for("sendPhoto", lambda c: reply_to(c) == upscale_id)
    assert statuses[-1].params["chat_id"] == session.chat["id"]
    grid = (await tg.wait_for_results(count=photos + 1))[-1]
    assert reply_to(grid) == photo.result["message_id"]
    assert "a white owl" in grid.caption
    assert [k["text"] for k in keyboard(grid)[0]][:4] == ["U1", "U2", "U3", "U4"]

    # Midjourney's editor got the newer contract: a WebP mask painted exactly in the box.
    (submission,) = host.submissions
    assert submission.contract == "newer"
    assert submission.mask[8:12] == b"WEBP"
    assert submission.headers["Origin"] == host.base_url
    assert "custom_id=MJ%3A%3Aiframe%3A%3A" in submission.headers["Referer"]
    assert submission.prompt == "a white owl"
    mask = Image.open(io.BytesIO(submission.mask_png))
    assert mask.getbbox() == box
    # ... pressed on the upscale's own Discord message, and charged like any action.
    pressed = discord_fake.interactions[-1]
    assert pressed["data"]["custom_id"].startswith("MJ::Inpaint::1::")
    assert pressed["message_id"] == session.discord_message_of(photo)["id"]
    job_row = await last_job(settings)
    assert job_row.id is not None
    assert await quota_of(settings, job_row.id) is QuotaState.CHARGED
    # The grid shows the change: inside the box every tile is repainted, outside it is not.
    result = Image.open(io.BytesIO(next(iter(grid.files.values())))).convert("RGB")
    before = Image.open(io.BytesIO(picture)).convert("RGB")
    inside = (box[0] + 2, box[1] + 2)
    outside = (width - 2, height - 2)
    assert result.getpixel(inside) != before.getpixel(inside)
    assert result.getpixel(outside) == before.getpixel(outside)


async def test_forged_stale_and_foreign_init_data_are_refused_and_nothing_reaches_discord(
    tg: FakeTelegram, discord_fake: FakeDiscord, host: FakeActivityHost, miniapp: Stack
) -> None:
    page = api(await miniapp.start())
    session, photo, token = await upscaled(miniapp)
    pressed = len(discord_fake.interactions)
    stranger = tg.user(71, "Eve")
    body = {"t": token, "prompt": "x", "mask": painted_mask((8, 8), (0, 0, 4, 4))}
    refused = {
        "forged": init_data(session.user, token="654321:not-this-bot"),
        "stale": init_data(session.user, age=3700),
        "foreign": init_data(stranger),
        "missing": "",
    }
    for why, init in refused.items():
        for method, path, payload in (
            ("GET", f"api/job?t={token}", None),
            ("GET", f"api/image?t={token}", None),
            ("POST", "api/submit", body),
        ):
            status, answer, _ = await page.call(method, path, init, body=payload)
            assert status == 403, (why, path)
            assert answer["error"] in {"unsigned", "foreign"}, (why, answer)
    # A token that is no button at all, or a button of another kind.
    grid_token = button(photo, "🌀 Vary subtle")["callback_data"].removeprefix("t:")
    for bad in ("nope", grid_token):
        status, answer, _ = await page.call("GET", f"api/job?t={bad}", init_data(session.user))
        assert (status, answer["error"]) == (403, "expired")
    await asyncio.sleep(0.05)
    assert len(discord_fake.interactions) == pressed
    assert host.submissions == []


async def test_a_job_whose_buttons_expired_is_refused(
    discord_fake: FakeDiscord, miniapp: Stack
) -> None:
    page = api(await miniapp.start())
    session, photo, token = await upscaled(miniapp)
    init = init_data(session.user)
    assert (await page.call("GET", f"api/job?t={token}", init))[0] == 200
    # Midjourney's message is deleted: none of its buttons can work any more.
    await discord_fake.delete_message(session.discord_message_of(photo)["id"])
    for _ in range(100):
        status, answer, _ = await page.call("GET", f"api/job?t={token}", init)
        if status != 200:
            break
        await asyncio.sleep(0.02)
    assert (status, answer["error"]) == (403, "expired")
    body = {"t": token, "prompt": "x", "mask": painted_mask((8, 8), (0, 0, 4, 4))}
    assert (await page.call("POST", "api/submit", init, body=body))[0] == 403


async def test_the_older_contract_is_used_when_the_newer_is_refused(
    tg: FakeTelegram, host: FakeActivityHost, miniapp: Stack
) -> None:
    page = api(await miniapp.start())
    session, photo, token = await upscaled(miniapp)
    init = init_data(session.user)
    _, job, _ = await page.call("GET", f"api/job?t={token}", init)
    host.newer_refused = True
    photos = len(tg.results())
    box = (1, 2, 30, 40)
    body = {"t": token, "prompt": "", "mask": painted_mask((job["width"], job["height"]), box)}
    assert (await page.call("POST", "api/submit", init, body=body))[0] == 200
    grid = (await tg.wait_for_results(count=photos + 1))[-1]
    assert reply_to(grid) == photo.result["message_id"]
    assert [s.contract for s in host.submissions] == ["newer", "older"]
    older = host.submissions[1]
    assert older.mask[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(older.mask_png)).getbbox() == box
    assert older.prompt.startswith(PROMPT)  # an empty prompt field keeps the job's prompt


async def test_a_refused_mask_reaches_the_user_with_the_reason_and_is_refunded(
    tg: FakeTelegram, model: MidjourneyModel, host: FakeActivityHost, miniapp: Stack
) -> None:
    settings = await miniapp.start()
    page = api(settings)
    session, _, token = await upscaled(miniapp)
    init = init_data(session.user)
    _, job, _ = await page.call("GET", f"api/job?t={token}", init)
    editor_of(model).refuse = "Mask covers too little of the image"
    mask = painted_mask((job["width"], job["height"]), (0, 0, 3, 3))
    body = {"t": token, "prompt": "x", "mask": mask}
    assert (await page.call("POST", "api/submit", init, body=body))[0] == 200
    failed = await tg.wait_for(STATUS_EDITS, lambda c: "❌" in c.text)
    assert "Mask covers too little of the image" in failed[-1].text
    job_row = await last_job(settings)
    assert job_row.id is not None
    assert await quota_of(settings, job_row.id) is QuotaState.REFUNDED
    assert [s.contract for s in host.submissions] == ["newer", "older"]


async def test_masks_of_the_wrong_size_are_refused_before_anything_is_sent(
    discord_fake: FakeDiscord, miniapp: Stack
) -> None:
    page = api(await miniapp.start())
    session, _, token = await upscaled(miniapp)
    pressed = len(discord_fake.interactions)
    body = {"t": token, "prompt": "x", "mask": painted_mask((7, 9), (0, 0, 3, 3))}
    status, answer, _ = await page.call("POST", "api/submit", init_data(session.user), body=body)
    assert (status, answer["error"]) == (400, "bad_mask")
    assert len(discord_fake.interactions) == pressed


async def test_groups_get_the_mini_app_link_and_only_members_may_use_it(
    tg: FakeTelegram, miniapp: Stack
) -> None:
    page = api(await miniapp.start(miniapp_name="paint"))
    ann, bob = tg.user(80, "Ann"), tg.user(81, "Bob", language_code="zh-hans")
    group = tg.group(-500)
    tg.send_text(group, ann, f"/imagine {PROMPT}")
    grid = (await tg.wait_for_results())[-1]
    message = tg.message(group["id"], grid.result["message_id"])
    assert message is not None
    tg.press_button(group, ann, message, button(grid, "U1")["callback_data"])
    photo = (await tg.wait_for_results(count=2))[-1]
    key = region_key(photo)
    assert "web_app" not in key  # not allowed in groups
    assert key["url"].startswith(f"https://t.me/{tg.bot_username}/paint?startapp=")
    token = token_of(key)
    # Another member opens it: the token comes signed in start_param, as Telegram passes it.
    status, job, _ = await page.call("GET", "api/job", init_data(bob, start_param=token))
    assert status == 200
    assert job["language"] == "zh_Hans"
    tg.departed.add((group["id"], bob["id"]))
    status, answer, _ = await page.call("GET", "api/job", init_data(bob, start_param=token))
    assert (status, answer["error"]) == (403, "foreign")


async def test_without_a_public_url_there_is_no_button_and_no_server(stack: Stack) -> None:
    port = free_port()
    await stack.start(miniapp_port=port)
    photo = await upscale(Session.of(stack))
    labels = [k["text"] for row in keyboard(photo) for k in row]
    assert "🖌 Vary region" not in labels
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_the_simulator_backend_does_vary_region_too(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    settings = make_settings(miniapp_public_url="http://127.0.0.1:1", miniapp_port=free_port())
    await start_bot(settings)
    page = api(settings)
    user = tg.user(90)
    chat = tg.private_chat(user)
    tg.send_text(chat, user, f"/imagine {PROMPT}")
    grid = (await tg.wait_for_results())[-1]
    message = tg.message(chat["id"], grid.result["message_id"])
    assert message is not None
    tg.press_button(chat, user, message, button(grid, "U2")["callback_data"])
    photo = (await tg.wait_for_results(count=2))[-1]
    key = region_key(photo)
    # http:// (a desktop browser, trying it locally): a plain link instead of a Mini App button.
    assert key["url"].startswith("http://127.0.0.1:1/?t=")
    token = token_of(key)
    init = init_data(user)
    _, job, _ = await page.call("GET", f"api/job?t={token}", init)
    box = (0, 0, job["width"] // 2, job["height"])
    mask = painted_mask((job["width"], job["height"]), box)
    body = {"t": token, "prompt": "a blue fox", "mask": mask}
    assert (await page.call("POST", "api/submit", init, body=body))[0] == 200
    region = (await tg.wait_for_results(count=3))[-1]
    assert reply_to(region) == photo.result["message_id"]
    assert "a blue fox" in region.caption

"""The Mini App in a real browser (headless Chromium), opened as Telegram opens it.

The page gets its signed init data and theme in the URL fragment and Telegram's script cannot
load (the browser reaches 127.0.0.1 only), so the page reads the fragment itself. A stroke
drawn with the mouse (pointer events) must arrive at Midjourney's editor as mask pixels in the
same place of the picture. The phone-sized dark run is judged from a screenshot taken here,
kept under the test's temporary folder (its path is printed: a CI artifact).
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image

from bridge.simulator import MidjourneyModel
from tests.browser import Page, chromium
from tests.fakes.activity import FakeActivityHost
from tests.fakes.telegram import FakeTelegram
from tests.helpers import (
    PUBLIC_URL,
    Session,
    Stack,
    free_port,
    init_data,
    region_key,
    reply_to,
    token_of,
)

pytestmark = pytest.mark.slow  # processes or a browser: out of the inner loop

DARK = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "secondary_bg_color": "#232e3c",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
}
CONTROLS = ("brush", "rect", "eraser", "undo", "clear", "size", "overlay", "prompt", "submit")


@pytest.fixture
def model() -> MidjourneyModel:
    # A picture big enough that the page scales it to the screen (not 1:1).
    return MidjourneyModel(step_delay=0.01, image_size=1024)


@pytest.fixture
async def host(model: MidjourneyModel) -> AsyncIterator[FakeActivityHost]:
    async with FakeActivityHost(model) as fake:
        yield fake


async def open_page(
    stack: Stack,
    host: FakeActivityHost,
    theme: dict[str, str] | None = None,
    language: str = "en",
) -> tuple[Session, str, Any]:
    """The bot running, an upscale in a private chat, and the URL Telegram would open."""
    port = free_port()
    await stack.start(
        miniapp_public_url=PUBLIC_URL, miniapp_port=port, discord_activity_url=host.base_url
    )
    session = Session(stack.tg, stack.discord, stack.model)
    grid = await session.imagine("a lighthouse at dusk")
    _, photo = await session.tap(grid, "U1")
    token = token_of(region_key(photo))
    user = {**session.user, "language_code": language}
    fragment = f"tgWebAppData={quote(init_data(user))}&tgWebAppVersion=8.0"
    fragment += "&tgWebAppPlatform=android"
    if theme:
        fragment += "&tgWebAppThemeParams=" + quote(json.dumps(theme))
    return session, f"http://127.0.0.1:{port}/?t={token}#{fragment}", photo


async def ready(page: Page, url: str) -> dict[str, Any]:
    await page.send("Page.navigate", url=url)
    async with asyncio.timeout(20):
        await page.wait_for("document.body && document.body.dataset.ready === '1'")
    return await page.evaluate(
        "(() => { const r = document.getElementById('overlay').getBoundingClientRect();"
        " return {x: r.left, y: r.top, width: r.width, height: r.height,"
        " natural: document.getElementById('overlay').width}; })()"
    )


async def test_a_stroke_drawn_in_chromium_arrives_as_mask_pixels_in_the_same_place(
    tg: FakeTelegram, host: FakeActivityHost, stack: Stack, tmp_path: Path
) -> None:
    session, url, photo = await open_page(stack, host)
    async with chromium(tmp_path / "profile", width=800, height=900) as page:
        box = await ready(page, url)
        assert await page.evaluate("document.getElementById('prompt').value") == (
            "a lighthouse at dusk"
        )
        # A horizontal stroke across the middle third of the picture, at a quarter height.
        y = box["y"] + box["height"] / 4
        start, end = box["x"] + box["width"] / 3, box["x"] + 2 * box["width"] / 3
        await page.mouse("mouseMoved", start, y, buttons=0)
        await page.mouse("mousePressed", start, y)
        for step in range(1, 11):
            await page.mouse("mouseMoved", start + (end - start) * step / 10, y)
        await page.mouse("mouseReleased", end, y, buttons=0)
        await page.evaluate("document.getElementById('prompt').value = 'a red lighthouse'")
        submit = await page.evaluate(
            "(() => { const r = document.getElementById('submit').getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        photos = len(tg.results())
        await page.click(*submit)
        async with asyncio.timeout(20):
            await host.arrived.wait()
            await page.wait_for("document.body.dataset.sent === '1'")
        assert page.console == []

    (submission,) = host.submissions
    assert submission.prompt == "a red lighthouse"
    mask = Image.open(io.BytesIO(submission.mask_png))
    width, height = mask.size
    scale = width / box["width"]  # picture pixels per screen pixel
    radius = 32 / 2 * scale  # the brush's default size, in picture pixels
    left, top, right, bottom = mask.getbbox()
    assert abs(left - (width / 3 - radius)) <= 3 * scale
    assert abs(right - (2 * width / 3 + radius)) <= 3 * scale
    assert abs(top - (height / 4 - radius)) <= 3 * scale
    assert abs(bottom - (height / 4 + radius)) <= 3 * scale
    assert mask.getpixel((width // 2, height // 4)) == 255
    assert mask.getpixel((width // 2, 3 * height // 4)) == 0
    # ... and the chat gets the region grid, answering the upscale.
    grid = (await tg.wait_for_results(count=photos + 1))[-1]
    assert reply_to(grid) == photo.result["message_id"]
    assert session.chat["id"] == grid.params["chat_id"]


async def test_a_phone_in_dark_theme_shows_every_control_usable(
    host: FakeActivityHost, stack: Stack, tmp_path: Path
) -> None:
    _, url, _ = await open_page(stack, host, theme=DARK)
    async with chromium(tmp_path / "profile", width=390, height=844) as page:
        await ready(page, url)
        # Each control: inside the screen, not covered by anything (what a tap there hits).
        placed = await page.evaluate(
            "(() => " + json.dumps(list(CONTROLS)) + ".map(id => {"
            " const e = document.getElementById(id); const r = e.getBoundingClientRect();"
            " const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
            " return {id, left: r.left, top: r.top, right: r.right, bottom: r.bottom,"
            " hit: e === hit || e.contains(hit)}; }))()"
        )
        shot_path = tmp_path / "miniapp-phone-dark.png"
        shot = Image.open(io.BytesIO(await page.screenshot(shot_path))).convert("RGB")
        print(f"screenshot: {shot_path}")
    assert shot.size == (390, 844)
    for control in placed:
        assert control["left"] >= 0
        assert control["top"] >= 0, control
        assert control["right"] <= 390, control
        assert control["bottom"] <= 844, control
        assert control["bottom"] - control["top"] >= 16, control
        assert control["hit"], control
    # The theme applied: Telegram's dark background, the submit button in its button colour.
    assert shot.getpixel((2, 843)) == (0x17, 0x21, 0x2B)
    submit = next(c for c in placed if c["id"] == "submit")
    centre = (int((submit["left"] + submit["right"]) / 2) + 40, int(submit["top"]) + 4)
    assert shot.getpixel(centre) == (0x52, 0x88, 0xC1)
    # The picture fills its area: the canvas is at least half the screen's height.
    overlay = next(c for c in placed if c["id"] == "overlay")
    assert overlay["bottom"] - overlay["top"] >= 844 / 2 - 80


@pytest.mark.parametrize(
    ("language", "direction", "submit"),
    [("ar", "rtl", "إعادة رسم المنطقة"), ("uk", "ltr", "Перемалювати область")],
)
async def test_the_page_speaks_the_users_language(
    host: FakeActivityHost,
    stack: Stack,
    tmp_path: Path,
    language: str,
    direction: str,
    submit: str,
) -> None:
    _, url, _ = await open_page(stack, host, language=language)
    async with chromium(tmp_path / "profile", width=390, height=844) as page:
        await ready(page, url)
        shown = await page.evaluate(
            "[document.documentElement.dir, document.getElementById('submit').textContent]"
        )
    assert shown == [direction, submit]

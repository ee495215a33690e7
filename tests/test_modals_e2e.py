"""Buttons that make Midjourney open a form: Custom Zoom, and everything in remix mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.handlers.replies import zoom_answer
from bot.settings import Settings
from bridge.simulator import MidjourneyModel, SimulatorBackend
from tests.fakes.telegram import FakeTelegram
from tests.helpers import PrivateChat, StartBot, reply_to


class Chat(PrivateChat):
    def __init__(self, tg: FakeTelegram, model: MidjourneyModel) -> None:
        super().__init__(tg, 90)
        self.model = model


@pytest.fixture
async def chat_with(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> Callable[..., Any]:
    async def start(**knobs: Any) -> Chat:
        model = MidjourneyModel(step_delay=0.005, image_size=64, **knobs)
        await start_bot(make_settings(), SimulatorBackend(model))
        return Chat(tg, model)

    return start


async def test_custom_zoom_asks_for_a_factor_and_fills_in_midjourneys_form(
    tg: FakeTelegram, chat_with: Callable[..., Any]
) -> None:
    chat: Chat = await chat_with()
    tg.send_text(chat.room, chat.user, "/imagine a quiet harbour")
    grid = await chat.photo(1)
    chat.press(grid, "U3")
    upscale = await chat.photo(2)
    chat.press(upscale, "🔭 Custom")

    question = (await tg.wait_for("sendMessage", lambda c: "zoom factor" in c.params["text"]))[0]
    assert "force_reply" in str(question.params["reply_markup"])
    asked = question.result
    tg.send_text(chat.room, chat.user, "7 please", reply_to=asked)  # not a factor: asked again
    await tg.wait_for("sendMessage", lambda c: "number from 1 to 2" in c.params["text"])
    tg.send_text(chat.room, chat.user, "1.8 the whole bay at dusk", reply_to=asked)

    zoomed = await chat.photo(3)
    press, submit = chat.model.interactions[-2:]
    assert press["type"] == 3
    assert press["data"]["custom_id"].startswith("MJ::CustomZoom::")
    assert submit["type"] == 5
    assert submit["data"]["custom_id"].startswith("MJ::OutpaintCustomZoomModal::")
    field = submit["data"]["components"][0]["components"][0]
    assert field == {
        "type": 4,
        "custom_id": "MJ::OutpaintCustomZoomModal::prompt",
        "value": "the whole bay at dusk --zoom 1.8",
    }
    assert submit["nonce"] != press["nonce"]
    # The caption shows the prompt the zoom used, not the grid's old one.
    assert zoomed.caption == "Zoomed out ×1.8 — the whole bay at dusk"
    assert reply_to(zoomed) is not None


@pytest.mark.parametrize("label", ["V1", "🔄"])
async def test_remix_mode_forms_are_submitted_with_the_jobs_prompt(
    tg: FakeTelegram, chat_with: Callable[..., Any], label: str
) -> None:
    chat: Chat = await chat_with(remix=True)
    tg.send_text(chat.room, chat.user, "/imagine a lantern festival")
    grid = await chat.photo(1)
    chat.press(grid, label)
    await chat.photo(2)
    submit = chat.model.interactions[-1]
    assert submit["type"] == 5
    assert submit["data"]["custom_id"].startswith("MJ::RemixModal::")
    assert submit["data"]["components"][0]["components"][0]["value"] == "a lantern festival"


async def test_remix_mode_pan_on_an_upscale(
    tg: FakeTelegram, chat_with: Callable[..., Any]
) -> None:
    chat: Chat = await chat_with(remix=True)
    tg.send_text(chat.room, chat.user, "/imagine a mountain road")
    chat.press(await chat.photo(1), "U1")
    chat.press(await chat.photo(2), "➡️")
    await chat.photo(3)
    press, submit = chat.model.interactions[-2:]
    assert press["data"]["custom_id"].startswith("MJ::JOB::pan_right::")
    assert submit["type"] == 5
    assert submit["data"]["components"][0]["components"][0]["value"] == "a mountain road"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("1.5", (1.5, "")),
        ("2 a wide view", (2.0, "a wide view")),
        ("1,25", (1.25, "")),
        ("2.5", None),
        ("0.9", None),
        ("wider", None),
    ],
)
def test_zoom_answers(answer: str, expected: tuple[float, str] | None) -> None:
    assert zoom_answer(answer) == expected

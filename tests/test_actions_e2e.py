"""Every button from Telegram: the tap, the interaction payload, the result in the right chat."""

from __future__ import annotations

import pytest

from tests.helpers import Session, Stack, button, keyboard, reply_to


@pytest.fixture
async def session(stack: Stack) -> Session:
    await stack.start()
    return Session(stack.tg, stack.discord, stack.model)


UPSCALE_KEYS = [
    ["⏫ Subtle", "⏫ Creative"],
    ["🌀 Vary subtle", "🌀 Vary strong"],
    ["🔭 ×2", "🔭 ×1.5", "🔭 Custom"],
    ["⬅️", "➡️", "⬆️", "⬇️"],
    ["🎞 Animate (High motion)", "🎞 Animate (Low motion)"],
    ["📎 Original"],
]


async def test_u2_upscales_the_second_picture_of_the_right_grid(session: Session) -> None:
    grid = await session.imagine("a red fox")
    grid_message = session.discord_message_of(grid)

    payload, upscale = await session.tap(grid, "U2")

    assert payload["type"] == 3
    assert payload["message_id"] == grid_message["id"]
    hash_ = grid_message["attachments"][0]["filename"].rsplit("_", 1)[1].rsplit(".", 1)[0]
    assert payload["data"] == {
        "component_type": 2,
        "custom_id": f"MJ::JOB::upsample::2::{hash_}",
    }
    assert reply_to(upscale) == grid.result["message_id"]
    assert upscale.caption.startswith("Picture 2 — a red fox")
    assert [[k["text"] for k in row] for row in keyboard(upscale)] == UPSCALE_KEYS


@pytest.mark.parametrize(
    ("label", "custom_id_start"),
    [("V1", "MJ::JOB::variation::1::"), ("🔄", "MJ::JOB::reroll::0::")],
)
async def test_grid_buttons_make_new_grids(
    session: Session, label: str, custom_id_start: str
) -> None:
    grid = await session.imagine("a blue whale")
    payload, result = await session.tap(grid, label)
    assert payload["data"]["custom_id"].startswith(custom_id_start)
    assert payload["message_id"] == session.discord_message_of(grid)["id"]
    assert len([k for row in keyboard(result) for k in row]) == 9
    assert reply_to(result) == grid.result["message_id"]


@pytest.mark.parametrize(
    ("label", "custom_id_start", "keys"),
    [
        ("🌀 Vary strong", "MJ::JOB::high_variation::1::", 9),
        ("🌀 Vary subtle", "MJ::JOB::low_variation::1::", 9),
        ("🔭 ×2", "MJ::Outpaint::50::1::", 9),
        ("🔭 ×1.5", "MJ::Outpaint::75::1::", 9),
        ("⬅️", "MJ::JOB::pan_left::1::", 9),
        ("⬇️", "MJ::JOB::pan_down::1::", 9),
        # Redo Upscale (Subtle/Creative), Vary (Subtle/Strong), Animate and the original
        ("⏫ Subtle", "MJ::JOB::upsample_v7_2x_subtle::1::", 7),
        ("⏫ Creative", "MJ::JOB::upsample_v7_2x_creative::1::", 7),
    ],
)
async def test_upscale_buttons(
    session: Session, label: str, custom_id_start: str, keys: int
) -> None:
    grid = await session.imagine("a green owl")
    _, upscale = await session.tap(grid, "U1")
    payload, result = await session.tap(upscale, label)
    assert payload["data"]["custom_id"].startswith(custom_id_start)
    assert payload["message_id"] == session.discord_message_of(upscale)["id"]
    assert reply_to(result) == upscale.result["message_id"]
    assert len([k for row in keyboard(result) for k in row]) == keys


async def test_an_upscale_button_works_once(session: Session) -> None:
    grid = await session.imagine("a paper crane")
    await session.tap(grid, "U4")
    sent = len(session.discord.interactions)
    message = session.tg.message(session.chat["id"], grid.result["message_id"])
    assert message is not None
    session.tg.press_button(
        session.chat, session.user, message, button(grid, "U4")["callback_data"]
    )
    alert = await session.tg.wait_for("answerCallbackQuery", lambda c: c.params.get("show_alert"))
    assert "Already done" in alert[0].params["text"]
    assert len(session.discord.interactions) == sent


async def test_buttons_of_a_deleted_midjourney_message_answer_with_an_alert(
    session: Session,
) -> None:
    grid = await session.imagine("a sand castle")
    await session.discord.delete_message(session.discord_message_of(grid)["id"])
    message = session.tg.message(session.chat["id"], grid.result["message_id"])
    assert message is not None
    session.tg.press_button(
        session.chat, session.user, message, button(grid, "V2")["callback_data"]
    )
    alert = await session.tg.wait_for("answerCallbackQuery", lambda c: c.params.get("show_alert"))
    assert "expired" in alert[0].params["text"]
    assert len(session.discord.interactions) == 1
    assert len(session.tg.calls_of(("sendMessage", "sendPhoto"))) == 1  # the first job's message


async def test_taps_from_another_chat_or_forged_data_send_nothing(session: Session) -> None:
    grid = await session.imagine("a lighthouse keeper")
    stranger = session.tg.user(71)
    other = session.tg.private_chat(stranger)
    token = button(grid, "U1")["callback_data"]
    # The same token, tapped on a message in another chat (a forwarded keyboard, say).
    foreign = {**session.tg.message(session.chat["id"], grid.result["message_id"]), "chat": other}
    for data in (token, "t:forged123", "something else entirely"):
        session.tg.send_callback_query(stranger, foreign, data)
    alerts = await session.tg.wait_for(
        "answerCallbackQuery", lambda c: c.params.get("show_alert"), count=3
    )
    assert all("expired" in a.params["text"] for a in alerts)
    assert len(session.discord.interactions) == 1

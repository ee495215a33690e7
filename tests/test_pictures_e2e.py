"""Pictures from Telegram: image prompts, albums, /describe, /blend, and what is refused."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from bot.settings import Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram
from tests.helpers import TELEGRAM_TOKEN, StartBot, keyboard, reply_to


def jpeg(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
async def chat(
    tg: FakeTelegram, discord_settings: Callable[..., Settings], start_bot: StartBot
) -> tuple[dict[str, Any], dict[str, Any]]:
    await start_bot(discord_settings(album_wait_s=0.2))
    user = tg.user(80)
    return tg.private_chat(user), user


async def interaction(discord: FakeDiscord, count: int = 1) -> dict[str, Any]:
    for _ in range(500):
        if len(discord.interactions) >= count:
            return discord.interactions[count - 1]
        await __import__("asyncio").sleep(0.01)
    raise AssertionError("no interaction reached Discord")


async def test_photo_with_imagine_caption_is_an_image_prompt(
    tg: FakeTelegram, discord_fake: FakeDiscord, chat: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    room, user = chat
    sent = tg.send_photo(room, user, jpeg("red"), caption="/imagine in the style of a mosaic")
    photo = (await tg.wait_for_results())[0]

    prompt = discord_fake.interactions[0]["data"]["options"][0]["value"]
    url, rest = prompt.split(" ", 1)
    assert url.startswith(discord_fake.cdn_url)
    assert rest == "in the style of a mosaic"
    assert TELEGRAM_TOKEN not in prompt
    assert list(discord_fake.uploads.values()) == [jpeg("red")]
    assert reply_to(photo) == sent["message_id"]


async def test_an_album_becomes_several_image_prompts(
    tg: FakeTelegram, discord_fake: FakeDiscord, chat: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    room, user = chat
    tg.send_photo(room, user, jpeg("red"), caption="/imagine two friends", media_group_id="g1")
    tg.send_photo(room, user, jpeg("blue"), media_group_id="g1")
    await tg.wait_for_results()
    prompt = discord_fake.interactions[0]["data"]["options"][0]["value"]
    urls = prompt.split(" ")[:2]
    assert all(u.startswith(discord_fake.cdn_url) for u in urls)
    assert prompt.endswith("two friends")
    assert sorted(discord_fake.uploads.values()) == sorted([jpeg("red"), jpeg("blue")])


async def test_imagine_replying_to_a_photo(
    tg: FakeTelegram, discord_fake: FakeDiscord, chat: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    room, user = chat
    picture = tg.send_photo(room, user, jpeg("green"))
    hint = (await tg.wait_for("sendMessage"))[0]
    assert "/describe" in hint.params["text"]
    tg.send_text(room, user, "/imagine as a watercolor", reply_to=picture)
    await tg.wait_for_results()
    prompt = discord_fake.interactions[0]["data"]["options"][0]["value"]
    assert prompt.startswith(discord_fake.cdn_url)
    assert prompt.endswith(" as a watercolor")


async def test_describe_suggests_four_prompts_that_can_be_drawn(
    tg: FakeTelegram, discord_fake: FakeDiscord, chat: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    room, user = chat
    tg.send_photo(room, user, jpeg("yellow"), caption="/describe")
    said = ("sendMessage", "editMessageText")
    answer = (await tg.wait_for(said, lambda c: "Midjourney reads" in c.params["text"]))[0]
    payload = discord_fake.interactions[0]
    assert payload["data"]["name"] == "describe"
    assert payload["data"]["options"] == [{"type": 11, "name": "image", "value": 0}]
    attachment = payload["data"]["attachments"][0]
    assert discord_fake.uploads[attachment["uploaded_filename"]] == jpeg("yellow")

    numbers = [key["text"] for row in keyboard(answer) for key in row]
    assert numbers == ["1️⃣", "2️⃣", "3️⃣", "4️⃣"]
    second = answer.params["text"].split("2️⃣ ", 1)[1].split("\n", 1)[0]
    message = tg.message(room["id"], answer.result["message_id"])
    assert message is not None
    tg.press_button(room, user, message, keyboard(answer)[0][1]["callback_data"])
    await tg.wait_for_results()
    assert discord_fake.interactions[1]["data"]["name"] == "imagine"
    assert discord_fake.interactions[1]["data"]["options"][0]["value"] == second


async def test_blend_of_an_album(
    tg: FakeTelegram, discord_fake: FakeDiscord, chat: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    room, user = chat
    for colour in ("red", "green", "blue"):
        caption = "/blend --ar 3:2" if colour == "red" else None
        tg.send_photo(room, user, jpeg(colour), caption=caption, media_group_id="g2")
    photo = (await tg.wait_for_results())[0]
    data = discord_fake.interactions[0]["data"]
    assert data["name"] == "blend"
    assert [o["name"] for o in data["options"]] == ["image1", "image2", "image3", "dimensions"]
    assert data["options"][-1]["value"] == "--ar 3:2"
    assert len(data["attachments"]) == 3
    assert len([k for row in keyboard(photo) for k in row]) == 9


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (lambda tg, room, user: tg.send_sticker(room, user), "/imagine"),
        (
            lambda tg, room, user: tg.send_document(
                room, user, b"%PDF-1.4", file_name="a.pdf", mime_type="application/pdf"
            ),
            "only use pictures",
        ),
        (
            lambda tg, room, user: tg.send_photo(room, user, jpeg("red"), caption="/blend"),
            "2 to 5 pictures",
        ),
        (lambda tg, room, user: tg.send_text(room, user, "/describe"), "caption /describe"),
    ],
    ids=["sticker", "pdf", "blend-one", "describe-nothing"],
)
async def test_unusable_input_gets_a_clear_reply(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    chat: tuple[dict[str, Any], dict[str, Any]],
    send: Callable[..., Any],
    expected: str,
) -> None:
    room, user = chat
    send(tg, room, user)
    reply = (await tg.wait_for("sendMessage"))[0]
    assert expected in reply.params["text"]
    assert discord_fake.interactions == []


async def test_a_photo_over_the_download_limit_is_refused(
    tg: FakeTelegram, discord_fake: FakeDiscord, chat: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    room, user = chat
    photo = [
        {
            "file_id": "big",
            "file_unique_id": "big1",
            "width": 9000,
            "height": 900,
            "file_size": 25 * 1024 * 1024,
        },
    ]
    tg.send_update(
        {
            "message": {
                "message_id": 900,
                "date": 0,
                "chat": room,
                "from": user,
                "photo": photo,
                "caption": "/imagine huge",
                "caption_entities": [{"type": "bot_command", "offset": 0, "length": 8}],
            }
        }
    )
    reply = (await tg.wait_for("sendMessage"))[0]
    assert "20 MB" in reply.params["text"]
    assert tg.calls_of("getFile") == []
    assert discord_fake.interactions == []

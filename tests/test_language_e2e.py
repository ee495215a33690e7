"""The bot answers in the user's Telegram language, and a chat can choose another in /settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.settings import Settings
from bot.texts import LANGUAGE_NAMES, LANGUAGES
from tests.fakes.telegram import FakeTelegram
from tests.helpers import StartBot


def keys(message: dict[str, Any]) -> dict[str, str]:
    """Label -> callback_data of a message's inline keyboard."""
    return {
        key["text"]: key["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for key in row
    }


async def test_each_user_gets_their_telegram_language(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    await start_bot(make_settings())
    greetings = {
        "ru": "Привет!",
        "uk": "Привіт!",
        "es": "¡Hola!",
        "pt-br": "Oi!",
        "fa": "سلام!",
        "tr": "Merhaba!",
        "id": "Hai!",
        "ar": "مرحبًا!",
        "zh-hans": "你好！",
        "de": "Hi!",  # not offered: English
    }
    for n, (code, greeting) in enumerate(greetings.items()):
        user = tg.user(700 + n, language_code=code)
        tg.send_text(tg.private_chat(user), user, "/start")
        [answer] = await tg.wait_for("sendMessage", lambda c, u=user: c.chat_id == u["id"])
        assert greeting in answer.params["text"], (code, answer.params["text"])


async def test_a_chat_chooses_its_language_in_settings_and_can_go_back_to_automatic(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    await start_bot(make_settings())
    ann = tg.user(720, language_code="en")
    chat = tg.private_chat(ann)
    tg.send_text(chat, ann, "/settings")
    [menu] = await tg.wait_for("sendMessage", lambda c: "⚙️" in c.params["text"])
    assert "🌐 Language: automatic" in keys(menu.result)

    tg.press_button(chat, ann, menu.result, keys(menu.result)["🌐 Language: automatic"])
    await tg.wait_for("editMessageText", lambda c: "🌐" in c.params["text"])
    picker = tg.message(chat["id"], menu.result["message_id"])
    assert picker is not None
    assert set(keys(picker)) >= {LANGUAGE_NAMES[lang] for lang in LANGUAGES}

    tg.press_button(chat, ann, picker, keys(picker)["Español"])
    await tg.wait_for("editMessageText", lambda c: "Español" in c.params["text"])
    tg.send_text(chat, ann, "/quota")
    await tg.wait_for("sendMessage", lambda c: "trabajos" in c.params["text"])
    tg.send_text(chat, ann, "a lighthouse")  # a plain-text prompt, answered in Spanish too
    await tg.wait_for(
        ("sendPhoto", "sendMessage"),
        lambda c: (c.caption or c.params.get("text")) == "⏳ Enviando a Midjourney…",
    )

    picker = tg.message(chat["id"], menu.result["message_id"])
    assert picker is not None
    assert "✓ Español" in keys(picker)
    edits = len(tg.calls_of("editMessageText"))
    tg.press_button(chat, ann, picker, keys(picker)["🌐 Automático (idioma de Telegram)"])
    [back] = (await tg.wait_for("editMessageText", count=edits + 1))[-1:]
    assert "here: automatic." in back.params["text"]  # said in Ann's own language again
    tg.send_text(chat, ann, "/quota")
    await tg.wait_for("sendMessage", lambda c: "jobs left today" in c.params["text"])


async def test_in_a_group_only_admins_choose_the_language(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    await start_bot(make_settings())
    group = tg.group(-7300, "Artists")
    ann, bob = tg.user(731, language_code="en"), tg.user(732, "Bob", language_code="ru")
    tg.set_admins(group["id"], [ann["id"]])
    tg.send_text(group, ann, "/language@mj_test_bot")
    [menu] = await tg.wait_for("sendMessage", lambda c: c.params["text"].startswith("🌐"))

    query = tg.press_button(group, bob, menu.result, keys(menu.result)["Türkçe"])
    [refused] = await tg.wait_for(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == query
    )
    assert refused.params["show_alert"]
    assert "администраторы" in refused.params["text"]  # Bob reads Russian

    tg.press_button(group, ann, menu.result, keys(menu.result)["Türkçe"])
    await tg.wait_for("editMessageText", lambda c: "Türkçe" in c.params["text"])
    tg.send_text(group, bob, "/quota@mj_test_bot")  # the group's choice wins over Bob's Russian
    await tg.wait_for("sendMessage", lambda c: "Bu grup" in c.params["text"])

"""Prompts are checked before they cost anything: banned terms and malformed parameters.

The matching rules themselves are covered by tests/test_prompts.py; here a few cases go through
the bot to show that a refused prompt is answered, never reaches Discord and uses no quota.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlmodel import select

from bot.prompt_guard import reason_text, refusal
from bot.settings import Settings
from bot.texts import LANGUAGES, texts
from bridge.banned_words import BannedWords
from bridge.prompts import validate
from bridge.simulator import MidjourneyModel, SimulatorBackend
from storage.db import Database
from storage.models import Job, QuotaEntry
from tests.fakes.telegram import STATUS_EDITS, Call, FakeTelegram
from tests.helpers import PrivateChat, StartBot, reply_to, small_videos


class Chat(PrivateChat):
    def __init__(self, tg: FakeTelegram, model: MidjourneyModel, settings: Settings) -> None:
        super().__init__(tg, 401)
        self.model, self.settings = model, settings

    async def send(self, line: str) -> str:
        """Send a line; return the bot's first reply to it."""
        count = len(self._replies())
        self.say(line)
        await self.tg.wait_for("sendMessage", self._mine, count=count + 1)
        return str(self._replies()[count].params["text"])

    def _mine(self, call: Call) -> bool:
        return bool(call.params["chat_id"] == self.room["id"])

    def _replies(self) -> list[Call]:
        return [call for call in self.tg.calls_of("sendMessage") if self._mine(call)]

    async def nothing_was_spent(self) -> None:
        assert self.model.interactions == []
        async with Database(self.settings.database_url) as db, db.transaction() as session:
            assert (await session.exec(select(Job))).all() == []
            assert (await session.exec(select(QuotaEntry))).all() == []


@pytest.fixture
def chat_with(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> Callable[..., Any]:
    async def start(**overrides: Any) -> Chat:
        model = small_videos(MidjourneyModel(step_delay=0.005, image_size=64))
        settings = make_settings(**overrides)
        await start_bot(settings, SimulatorBackend(model))
        return Chat(tg, model, settings)

    return start


@pytest.mark.parametrize(
    ("prompt", "term"),
    [
        ("a nude figure on a beach", "nude"),
        ("Two NUDES, oil on canvas", "nude"),  # any case, plural
        ("a model with no-clothes in the rain", "no clothes"),  # a phrase, any separator
    ],
)
async def test_a_banned_term_is_named_and_nothing_is_sent(
    chat_with: Callable[..., Any], prompt: str, term: str
) -> None:
    chat: Chat = await chat_with()
    reply = await chat.send(f"/imagine {prompt}")
    assert f"blocked term: {term}" in reply
    await chat.nothing_was_spent()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ("--ar 16-9", "--ar 16-9"),
        ("--s abc", "--s abc: must be a whole number"),
        ("--v latest", "--v latest"),
        ("--tile naked", "--tile takes no value"),  # text hidden in a flag's value
        ("--hd 2", "--hd takes no value"),
        ("in snow::2x", "“::2x”"),  # a `::` weight that is not a number
    ],
)
async def test_a_malformed_parameter_is_named_and_nothing_is_sent(
    chat_with: Callable[..., Any], args: str, named: str
) -> None:
    chat: Chat = await chat_with()
    reply = await chat.send(f"/imagine a red fox {args}")
    assert "Not sent" in reply
    assert named in reply
    await chat.nothing_was_spent()


@pytest.mark.parametrize(
    "prompt",
    [
        "a portrait by Nudelman of a Sussex sextant",  # banned words inside longer words
        "https://example.com/nude.png a quiet street",  # inside a URL
        "a beach --no nude",  # a --no value asks for the opposite
        # Today's Midjourney: whatever it accepts is not refused here.
        "a paper boat --v 8.1 --hd",
        "a paper boat --v 8.2 --sd --exp 25 --p 6cufbcp --raw",
        "a fox in snow --niji 7 --s 400",
        "a fox --v 7 --draft --oref https://example.com/me.png --ow 100 --sv 4",
        "https://example.com/a.png waves rolling --video --motion high --loop --bs 2",
        "https://example.com/a.png a slow pan --video 1 --end https://example.com/b.png",
        "hot:: dog::-0.5 --s 5000 --q 3",  # ranges and value lists are Midjourney's to judge
    ],
)
async def test_allowed_prompts_go_through(chat_with: Callable[..., Any], prompt: str) -> None:
    chat: Chat = await chat_with()
    chat.tg.send_text(chat.room, chat.user, f"/imagine {prompt}")
    await chat.tg.wait_for_results()
    assert chat.model.interactions[0]["data"]["options"][0]["value"] == prompt


async def test_the_reply_is_in_the_users_language(chat_with: Callable[..., Any]) -> None:
    chat: Chat = await chat_with()
    chat.user = chat.tg.user(402, language_code="zh-hans")
    chat.room = chat.tg.private_chat(chat.user)
    assert "屏蔽词：nude" in await chat.send("/imagine a nude")
    reply = await chat.send("/imagine a cat --s lots")
    assert "--s lots：必须是整数" in reply


async def test_the_banned_words_file_extends_the_shipped_list(
    chat_with: Callable[..., Any], tmp_path: Path
) -> None:
    extra = tmp_path / "more_banned.txt"
    extra.write_text("# ours\ndragonfruit\nred panda\n", encoding="utf-8")
    chat: Chat = await chat_with(banned_words_file=extra)
    assert "blocked term: red panda" in await chat.send("/imagine a Red-Panda asleep")
    assert "blocked term: nude" in await chat.send("/imagine a nude")  # the shipped list too
    await chat.nothing_was_spent()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "teal").save(out, "JPEG")
    return out.getvalue()


async def test_a_caption_is_checked_before_the_picture_is_uploaded(
    chat_with: Callable[..., Any],
) -> None:
    chat: Chat = await chat_with()
    sent = chat.tg.send_photo(chat.room, chat.user, jpeg(), caption="/imagine naked in snow")
    reply = await chat.tg.wait_for("sendMessage")
    assert reply_to(reply[0]) == sent["message_id"]
    assert "blocked term: naked" in reply[0].params["text"]
    assert chat.tg.calls_of("getFile") == []  # the picture was never fetched to be uploaded
    await chat.nothing_was_spent()


async def test_shorten_is_checked_too(chat_with: Callable[..., Any]) -> None:
    chat: Chat = await chat_with()
    assert "blocked term: nude" in await chat.send("/shorten a nude figure, soft light")
    assert "--q high" in await chat.send("/shorten a quiet lake, dawn --q high")
    await chat.nothing_was_spent()


# --- the reply texts, without a bot ---------------------------------------------------------


def test_every_reason_bridge_prompts_gives_is_translated() -> None:
    prompts = [
        "x --ar 0:1",
        "x --v latest",
        "x --s lots",
        "x --iw x",
        "x --style two words",
        "x --end nope",
        "x --sref nope!",
        "x --cref nope",
        "x --p ???",
        "x --oref a b",
    ]
    for prompt in prompts:
        (problem,) = validate(prompt)
        assert reason_text(texts("en"), problem.reason) == problem.reason
        for lang in LANGUAGES[1:]:
            assert reason_text(texts(lang), problem.reason) != problem.reason, (lang, problem)


def test_refusal_lists_each_problem_once() -> None:
    reply = refusal("a cat --ar 3:0 --v latest --s x --foo", BannedWords(["nude"]), texts("en"))
    assert reply is not None
    assert reply.count("•") == 3
    assert refusal("a cat --ar 3:2 --v 6.1", BannedWords(["nude"]), texts("en")) is None


async def test_an_unknown_parameter_goes_to_midjourney_and_its_error_reaches_the_chat(
    chat_with: Callable[..., Any],
) -> None:
    chat: Chat = await chat_with()
    chat.model.ephemeral_errors = True  # Midjourney answers "only you can see this"
    chat.model.error_words["--brandnew"] = ("Invalid parameter", "Unknown parameter: --brandnew")
    chat.tg.send_text(chat.room, chat.user, "/imagine a red fox --brandnew 3")

    def said(call: Call) -> str:
        return call.text  # a text, or a caption (editMessageMedia's in its media)

    failed = await chat.tg.wait_for(
        ("sendMessage", *STATUS_EDITS),
        lambda call: "a parameter is invalid" in said(call),
    )
    assert "brandnew" in said(failed[0])
    assert not any("Not sent" in said(call) for call in chat.tg.calls)  # no local refusal
    assert chat.model.interactions[0]["data"]["options"][0]["value"] == "a red fox --brandnew 3"


async def test_text_hidden_in_an_unknown_parameter_is_still_searched(
    chat_with: Callable[..., Any],
) -> None:
    chat: Chat = await chat_with()
    assert "blocked term: nude" in await chat.send("/imagine a red fox --nude")
    assert "blocked term: naked" in await chat.send("/imagine a red fox --foo naked")
    await chat.nothing_was_spent()

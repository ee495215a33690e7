"""/settings: the inline menu, who may change it, and the defaults it adds to prompts."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from bot.handlers.chat_settings import (
    ROWS,
    defaults_of,
    menu_markup,
    menu_text,
    parse_choice,
)
from bot.settings import Settings
from bot.texts import LANGUAGES, texts
from bridge.simulator import MidjourneyModel, SimulatorBackend
from storage.chat_migration import migrate_chat
from storage.chat_settings import get_chat_settings, set_chat_setting
from storage.db import Database
from storage.models import ChatSettings
from tests.fakes.telegram import Call, FakeTelegram
from tests.helpers import RunningBot, StartBot


def labels(message: dict[str, Any]) -> list[list[str]]:
    return [[key["text"] for key in row] for row in message["reply_markup"]["inline_keyboard"]]


def chosen(message: dict[str, Any]) -> set[str]:
    return {label[2:] for row in labels(message) for label in row if label.startswith("✓ ")}


class Room:
    """A chat with the bot, one user typing in it, and Midjourney's side (the simulator)."""

    def __init__(self, tg: FakeTelegram, model: MidjourneyModel, chat: dict[str, Any]) -> None:
        self.tg, self.model, self.chat = tg, model, chat

    async def menu(self, user: dict[str, Any]) -> dict[str, Any]:
        """Send /settings; return the menu message."""
        count = len(self._menus())
        self.tg.send_text(self.chat, user, "/settings")
        await self.tg.wait_for("sendMessage", self._is_menu, count=count + 1)
        return self._menus()[-1].result  # type: ignore[no-any-return]

    async def tap(self, user: dict[str, Any], menu: dict[str, Any], data: str) -> Call:
        """Press a menu button; return the answer to the tap once the menu is redrawn."""
        answers = len(self.tg.calls_of("answerCallbackQuery"))
        edits = len(self.tg.calls_of("editMessageText"))
        current = self.tg.message(self.chat["id"], menu["message_id"])
        assert current is not None
        self.tg.press_button(self.chat, user, current, data)
        answer = (await self.tg.wait_for("answerCallbackQuery", count=answers + 1))[-1]
        if not answer.params.get("show_alert"):
            await self.tg.wait_for("editMessageText", count=edits + 1)
        return answer

    def current(self, menu: dict[str, Any]) -> dict[str, Any]:
        message = self.tg.message(self.chat["id"], menu["message_id"])
        assert message is not None
        return message

    async def imagine(self, user: dict[str, Any], prompt: str) -> str:
        """Draw; return the prompt Midjourney received."""
        photos = len(self.tg.results())
        self.tg.send_text(self.chat, user, f"/imagine {prompt}")
        await self.tg.wait_for_results(count=photos + 1)
        return str(self.model.interactions[-1]["data"]["options"][0]["value"])

    def _is_menu(self, call: Call) -> bool:
        return call.params["chat_id"] == self.chat["id"] and "⚙️" in call.params["text"]

    def _menus(self) -> list[Call]:
        return [call for call in self.tg.calls_of("sendMessage") if self._is_menu(call)]


@pytest.fixture
def simulated(make_settings: Callable[..., Settings], start_bot: StartBot) -> Callable[..., Any]:
    """Start the bot on the simulator (a fresh model per start, like a restarted process)."""

    async def start(**overrides: Any) -> tuple[MidjourneyModel, Settings, RunningBot]:
        model = MidjourneyModel(step_delay=0.005, image_size=64)
        settings = make_settings(**overrides)
        running = await start_bot(settings, SimulatorBackend(model))
        return model, settings, running

    return start


async def test_a_choice_is_marked_and_added_to_prompts_that_do_not_set_it(
    tg: FakeTelegram, simulated: Callable[..., Any]
) -> None:
    model, _, _ = await simulated()
    ann = tg.user(301)
    room = Room(tg, model, tg.private_chat(ann))
    menu = await room.menu(ann)
    assert chosen(menu) == set()
    assert "Now: Midjourney's own defaults" in menu["text"]
    assert all(
        len(key["callback_data"].encode()) <= 64
        for row in menu["reply_markup"]["inline_keyboard"]
        for key in row
    )

    answer = await room.tap(ann, menu, "s:ar:16:9")
    assert answer.params["text"] == "Saved."
    assert chosen(room.current(menu)) == {"16:9"}
    assert "Now: 16:9\n" in room.current(menu)["text"]  # in words, not --parameters

    assert await room.imagine(ann, "a red fox") == "a red fox --ar 16:9"
    # The prompt's own value wins, under any alias.
    assert await room.imagine(ann, "a red fox --aspect 1:1") == "a red fox --aspect 1:1"

    await room.tap(ann, menu, "s:v:niji6")
    await room.tap(ann, menu, "s:raw:on")
    await room.tap(ann, menu, "s:s:250")
    await room.tap(ann, menu, "s:sp:relax")
    assert chosen(room.current(menu)) == {"16:9", "niji 6", "Raw style", "🎨 250", "🐢 relax"}
    assert "Now: niji 6 · 16:9 · stylize 250 · relax · raw style\n" in room.current(menu)["text"]
    assert await room.imagine(ann, "a cat") == (
        "a cat --niji 6 --ar 16:9 --stylize 250 --relax --style raw"
    )
    # --v replaces --niji, --fast replaces --relax: the prompt decides.
    assert await room.imagine(ann, "a cat --v 7 --fast") == (
        "a cat --v 7 --fast --ar 16:9 --stylize 250 --style raw"
    )
    # Raw style is one toggle: a second tap turns it off.
    await room.tap(ann, menu, "s:raw:on")
    assert "Raw style" not in chosen(room.current(menu))
    assert await room.imagine(ann, "a cat") == "a cat --niji 6 --ar 16:9 --stylize 250 --relax"


async def test_tapping_a_choice_again_clears_it_and_reset_clears_all(
    tg: FakeTelegram, simulated: Callable[..., Any]
) -> None:
    model, _, _ = await simulated()
    bo = tg.user(302, language_code="zh-hans")
    room = Room(tg, model, tg.private_chat(bo))
    menu = await room.menu(bo)
    assert "本聊天的设置" in menu["text"]
    await room.tap(bo, menu, "s:ar:2:3")
    await room.tap(bo, menu, "s:v:7")
    await room.tap(bo, menu, "s:ar:2:3")
    assert chosen(room.current(menu)) == {"V7"}
    assert await room.imagine(bo, "a lake") == "a lake --v 7"
    await room.tap(bo, menu, "s:reset")
    assert chosen(room.current(menu)) == set()
    assert await room.imagine(bo, "a lake") == "a lake"


async def test_settings_survive_a_restart(tg: FakeTelegram, simulated: Callable[..., Any]) -> None:
    model, settings, running = await simulated()
    ann = tg.user(303)
    room = Room(tg, model, tg.private_chat(ann))
    await room.tap(ann, await room.menu(ann), "s:ar:16:9")

    # Stop the bot, then start a new one (fresh process state) on the same database.
    await running.close()
    room.model, _, _ = await simulated(database_url=settings.database_url)
    assert (await room.imagine(ann, "a harbour at dawn")).endswith("--ar 16:9")
    assert "16:9" in chosen(await room.menu(ann))


async def test_in_a_group_only_admins_change_the_settings_and_they_stay_in_that_group(
    tg: FakeTelegram, simulated: Callable[..., Any]
) -> None:
    model, _, _ = await simulated()
    admin, member = tg.user(311, first_name="Ada"), tg.user(312, first_name="Max")
    group = tg.group(-1001, "Painters", type="supergroup")
    tg.set_admins(group["id"], [admin["id"]])
    room = Room(tg, model, group)
    menu = await room.menu(member)  # anybody may look
    assert "Only the group's admins" in menu["text"]

    refused = await room.tap(member, menu, "s:ar:9:16")
    assert refused.params["show_alert"]
    assert "admins" in refused.params["text"]
    assert chosen(room.current(menu)) == set()

    await room.tap(admin, menu, "s:ar:9:16")
    assert chosen(room.current(menu)) == {"9:16"}
    assert await room.imagine(member, "a tall tower") == "a tall tower --ar 9:16"

    # The member's private chat keeps its own (empty) settings.
    private = Room(tg, model, tg.private_chat(member))
    assert await private.imagine(member, "a tall tower") == "a tall tower"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "purple").save(out, "JPEG")
    return out.getvalue()


async def test_a_picture_caption_gets_the_defaults_too(
    tg: FakeTelegram, simulated: Callable[..., Any]
) -> None:
    model, _, _ = await simulated()
    ann = tg.user(304)
    room = Room(tg, model, tg.private_chat(ann))
    await room.tap(ann, await room.menu(ann), "s:ar:3:2")
    tg.send_photo(room.chat, ann, jpeg(), caption="/imagine as a mosaic")
    await tg.wait_for_results()
    prompt = model.interactions[-1]["data"]["options"][0]["value"]
    url, rest = prompt.split(" ", 1)
    assert url.startswith("sim://cdn/")
    assert rest == "as a mosaic --ar 3:2"


# --- the pieces, without a bot ------------------------------------------------------------


def test_every_choice_round_trips_through_its_callback_data() -> None:
    settings = ChatSettings(chat_id=1)
    for row in ROWS:
        for value, _ in row.choices:
            data = f"s:{row.key}:{value}"
            assert len(data.encode()) <= 64
            assert parse_choice(data) == (row, value)
    assert parse_choice("s:reset") == (None, "reset")
    for bad in ("s:ar:4:3", "s:zz:1", "s:", "s:v:"):
        assert parse_choice(bad) is None
    assert "Midjourney's own defaults" in menu_text(texts("en"), settings, group=False)
    assert menu_markup(texts("en"), settings).inline_keyboard[-1][0].callback_data == "s:reset"


def test_defaults_of_ignores_values_the_menu_does_not_offer() -> None:
    stale = ChatSettings(chat_id=1, version="5.2", aspect="4:3", stylize=999, speed="warp")
    assert defaults_of(stale) == {}
    chosen_ = ChatSettings(
        chat_id=1, version="7", aspect="1:1", stylize=0, speed="turbo", raw=True
    )
    assert defaults_of(chosen_) == {
        "v": "7",
        "ar": "1:1",
        "stylize": "0",
        "turbo": "",
        "style": "raw",
    }


async def test_settings_follow_a_group_that_becomes_a_supergroup(tmp_path: Any) -> None:
    async with Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}") as db:
        async with db.transaction() as session:
            await set_chat_setting(
                session=session, chat_id=-5, field="aspect", value="16:9", user_id=1
            )
        async with db.transaction() as session:
            assert await migrate_chat(session=session, old_id=-5, new_id=-1005)
            assert not await migrate_chat(session=session, old_id=-5, new_id=-1005)
        async with db.transaction() as session:
            moved = await get_chat_settings(session=session, chat_id=-1005)
            left = await get_chat_settings(session=session, chat_id=-5)
        assert (moved.aspect, left.aspect) == ("16:9", None)


def _rows_of(version: str | None) -> list[list[str]]:
    markup = menu_markup(texts("en"), ChatSettings(chat_id=1, version=version))
    return [[key.text.removeprefix("✓ ") for key in row] for row in markup.inline_keyboard]


def test_the_menu_offers_todays_versions_with_only_the_options_each_has() -> None:
    versions = ["V8.1", "V7", "V6.1", "niji 7", "niji 6"]
    fast_relax, all_speeds = ["⚡ fast", "🐢 relax"], ["⚡ fast", "🐢 relax", "🚀 turbo"]
    raw = ["Raw style"]  # one toggle
    # Nothing chosen: Midjourney's default, V8.1, with HD/SD and no Turbo.
    default = _rows_of(None)
    assert default[0] + default[1] == versions  # five keys: 3 + 2, a phone's width
    assert default[2] == ["HD", "SD"]
    assert fast_relax in default
    assert all_speeds not in default
    assert raw in default
    v7 = _rows_of("7")
    assert v7[2] == ["draft"]
    assert all_speeds in v7
    assert ["HD", "SD"] not in v7
    v61 = _rows_of("6.1")
    assert ["draft"] not in v61
    assert ["HD", "SD"] not in v61
    assert all_speeds in v61
    niji7 = _rows_of("niji7")
    assert raw not in niji7
    assert ["HD", "SD"] not in niji7
    assert ["🎨 0", "🎨 100", "🎨 250", "🎨 750"] in niji7
    assert all(len(row) <= 4 for rows in (default, v7, v61, niji7) for row in rows)


def test_defaults_follow_the_versions_options() -> None:
    assert defaults_of(ChatSettings(chat_id=1, version="8.1+hd")) == {"v": "8.1", "hd": ""}
    assert defaults_of(ChatSettings(chat_id=1, version="+sd")) == {"sd": ""}
    assert defaults_of(ChatSettings(chat_id=1, version="7+draft")) == {"v": "7", "draft": ""}
    assert defaults_of(ChatSettings(chat_id=1, version="niji7")) == {"niji": "7"}
    # Not on that version: no HD on V7, no Turbo on V8.1, no raw on niji 7.
    assert defaults_of(ChatSettings(chat_id=1, version="7+hd")) == {"v": "7"}
    assert defaults_of(ChatSettings(chat_id=1, version="8.1", speed="turbo")) == {"v": "8.1"}
    assert defaults_of(ChatSettings(chat_id=1, version="niji7", raw=True)) == {"niji": "7"}


async def test_a_variant_stays_with_its_version(
    tg: FakeTelegram, simulated: Callable[..., Any]
) -> None:
    model, _, _ = await simulated()
    ann = tg.user(305)
    room = Room(tg, model, tg.private_chat(ann))
    menu = await room.menu(ann)
    await room.tap(ann, menu, "s:vo:hd")
    assert chosen(room.current(menu)) == {"HD"}
    assert await room.imagine(ann, "a paper boat") == "a paper boat --hd"
    await room.tap(ann, menu, "s:v:8.1")
    assert await room.imagine(ann, "a paper boat") == "a paper boat --v 8.1 --hd"
    await room.tap(ann, menu, "s:vo:sd")  # one or the other
    assert await room.imagine(ann, "a paper boat") == "a paper boat --v 8.1 --sd"
    await room.tap(ann, menu, "s:v:7")  # V7 has no SD: it goes
    assert chosen(room.current(menu)) == {"V7"}
    await room.tap(ann, menu, "s:vo:draft")
    await room.tap(ann, menu, "s:sp:turbo")
    assert await room.imagine(ann, "a paper boat") == "a paper boat --v 7 --draft --turbo"
    await room.tap(ann, menu, "s:v:8.1")  # neither draft nor Turbo on V8.1
    assert await room.imagine(ann, "a paper boat") == "a paper boat --v 8.1"


def test_help_speaks_todays_midjourney() -> None:
    from bot.handlers.start import HELP
    from bridge.versions import VERSIONS

    for lang in LANGUAGES:
        versions = ", ".join(version.label for version in VERSIONS)
        body = texts(lang)(HELP, how="", quota="", versions=versions)
        assert "--v 8.1" in body
        assert "6.1," not in body.replace(versions, "")
        assert "V8.1, V7, V6.1, niji 7, niji 6" in body

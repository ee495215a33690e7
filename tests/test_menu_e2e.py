"""The command menu: published in every language at the first start, and again only when it
changed or Telegram did not take all of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot import menu
from bot.settings import Settings
from bot.texts import LANGUAGES
from tests.fakes.telegram import FakeTelegram
from tests.helpers import StartBot

PUBLISH = "setMyCommands"


@pytest.fixture
def make_settings(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> Callable[..., Settings]:
    """On an empty database, as a bot's very first start (conftest's copy has the menu)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'first.db'}"
    return lambda **overrides: make_settings(database_url=url, **overrides)


def expected(lang: str) -> list[tuple[str, str]]:
    return [(c.command, c.description) for c in menu.command_menu(lang)]


async def test_a_first_start_publishes_the_menu_in_every_language(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    await start_bot(make_settings())

    assert len(tg.calls_of(PUBLISH)) == len(LANGUAGES)
    for lang in LANGUAGES:
        assert tg.menu(menu.telegram_code(lang)) == expected(lang), lang
    assert "imagine" in dict(tg.menu(None))
    assert "imagine" in dict(tg.menu("ru"))
    assert tg.menu("ru") != tg.menu(None)  # translated, not the English menu again


async def test_a_restart_with_the_same_menu_sends_none(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    settings = make_settings()
    await (await start_bot(settings)).close()
    sent = len(tg.calls_of(PUBLISH))

    await start_bot(settings)

    assert len(tg.calls_of(PUBLISH)) == sent == len(LANGUAGES)
    assert tg.menu(None) == expected("en")


async def test_a_changed_menu_is_published_again(
    tg: FakeTelegram,
    make_settings: Callable[..., Settings],
    start_bot: StartBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings()
    await (await start_bot(settings)).close()
    sent = len(tg.calls_of(PUBLISH))
    monkeypatch.setattr(menu, "_COMMANDS", (*menu._COMMANDS, ("newone", "A command added")))

    await start_bot(settings)

    assert len(tg.calls_of(PUBLISH)) == sent + len(LANGUAGES)
    assert tg.menu(None)[-1] == ("newone", "A command added")


async def test_a_menu_telegram_refuses_does_not_stop_the_start_and_is_sent_next_time(
    tg: FakeTelegram, make_settings: Callable[..., Settings], start_bot: StartBot
) -> None:
    settings = make_settings()
    tg.fail_next(PUBLISH, error_code=500, when=lambda params: params.get("language_code") == "ru")
    await (await start_bot(settings)).close()  # started, the menu half published
    sent = len(tg.calls_of(PUBLISH))
    assert tg.menu("ru") == []

    await start_bot(settings)

    assert len(tg.calls_of(PUBLISH)) == sent + len(LANGUAGES)
    assert tg.menu("ru") == expected("ru")

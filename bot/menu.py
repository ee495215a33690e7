"""The menu Telegram shows under "/", in each language: published at start when it changed.

Telegram keeps a bot's menu until it is set again, so a start sends it only when it differs
from the one this database remembers publishing for this bot (a new command, a new language,
a changed translation). A restart then costs no Bot API call, and a crash half-way through
publishing is repaired by the next start: the menu is remembered only once every language
was accepted. The menu is a convenience, so a Telegram error while publishing it is logged and
never stops the bot from starting.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Final

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from bot import mj_commands
from bot.texts import LANGUAGES, N_, SOURCE_LANGUAGE, texts
from storage.db import Database
from storage.state import get_state, set_state

_log = logging.getLogger(__name__)

_COMMANDS: Final = (
    *mj_commands.MENU,
    ("settings", N_("Version, aspect ratio, speed and language for this chat")),
    ("language", N_("The language I answer in")),
    ("quota", N_("What is left today")),
    ("help", N_("How to use the bot")),
)


def command_menu(lang: str) -> list[BotCommand]:
    _ = texts(lang)
    return [BotCommand(name, _(description)) for name, description in _COMMANDS]


def telegram_code(lang: str) -> str | None:
    """Telegram's two-letter language_code for a catalogue; None (everyone) for English."""
    return None if lang == SOURCE_LANGUAGE else lang.split("_")[0]


def menus() -> dict[str | None, list[BotCommand]]:
    """Every language's menu, by Telegram's language_code."""
    return {telegram_code(lang): command_menu(lang) for lang in LANGUAGES}


def fingerprint(published: dict[str | None, list[BotCommand]]) -> str:
    shape = sorted(
        (code or "", [(c.command, c.description) for c in commands])
        for code, commands in published.items()
    )
    return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()


def state_key(bot_id: int) -> str:
    """Where the fingerprint of the menu last published for this bot is kept (bridge_state)."""
    return f"telegram_menu:{bot_id}"


async def publish(bot: Bot, db: Database) -> None:
    """Set the menu in every language unless this bot already has it."""
    published = menus()
    wanted = fingerprint(published)
    key = state_key(bot.id)
    async with db.transaction() as session:
        if await get_state(session=session, key=key) == wanted:
            return
    try:
        for code, commands in published.items():
            await bot.set_my_commands(commands, language_code=code)
    except TelegramError:
        _log.warning("command menu not published; the next start tries again", exc_info=True)
        return
    async with db.transaction() as session:
        await set_state(session=session, key=key, value=wanted)
    _log.info("command menu published", extra={"languages": len(published)})

"""docs/extending.md's recipes hold: a Midjourney command is one entry in bot/mj_commands.py
(plus its JobKind, and its options in the bridge when they are not a prompt); a button kind is
bridge/buttons.py plus its key and words in bot/keyboards.py. Everything else follows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Enum
from telegram.ext import CommandHandler

from bot.app import build_application
from bot.handlers.start import help_text
from bot.keyboards import _KINDS, _LEFT_OUT, ACTION_WORDS, UNNUMBERED_WORDS, key_for
from bot.menu import command_menu
from bot.mj_commands import COMMANDS, DRAWING_KINDS
from bot.pictures import caption_command
from bot.settings import Settings
from bot.status import shows_picture
from bot.texts import LANGUAGES, texts
from bridge.buttons import ButtonKind
from bridge.interactions import Place, payload
from bridge.runs import Order
from storage.models import KIND_LENGTH, Job, JobKind

SAMPLES = Path(__file__).parent / "data" / "samples"
BOT = "mj_test_bot"


def settings() -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_bot_token="123456:TEST-telegram-token-secret",
        telegram_api_url="http://127.0.0.1:9",
        midjourney_backend="simulator",
        database_url="sqlite+aiosqlite:///:memory:",
    )


def commands_handled() -> dict[str, list[CommandHandler[Any, Any]]]:
    """The command names the real application answers, with their handlers."""
    application = build_application(settings())
    found: dict[str, list[CommandHandler[Any, Any]]] = {}
    for handlers in application.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                for name in handler.commands:
                    found.setdefault(name, []).append(handler)
    return found


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_of_the_table_is_reachable_from_telegram_the_menu_and_help(name: str) -> None:
    command = COMMANDS[name]
    assert command.kind.value == name, "the bridge sends JobKind's value as the slash command"
    assert name in commands_handled()
    if command.pictures is not None:
        assert caption_command(f"/{name}@{BOT} words", BOT) == (name, "words")
    for lang in LANGUAGES:
        assert name in [c.command for c in command_menu(lang)], lang
        for in_group in (False, True):
            body = help_text(texts(lang), settings(), in_group=in_group, bot=BOT)
            assert f"/{name}" in body, (lang, in_group)
    job = Job(id=1, chat_id=1, kind=command.kind, prompt="a red fox")
    assert shows_picture(job) is command.draws
    sent = payload(
        Order.of(job).interaction("1"),
        Place("g", "c", "s"),
        lambda command_name: type("C", (), {"id": "9", "version": "1", "name": command_name}),  # type: ignore[arg-type, return-value]
    )
    # A prompt video is an /imagine with --video (bridge/runs.py).
    assert sent["data"]["name"] == ("imagine" if command.kind is JobKind.VIDEO else name)


def test_every_command_without_its_prompt_or_pictures_is_told_how_to_use_it() -> None:
    handled = commands_handled()
    for name, command in COMMANDS.items():
        # A prompt command alone, a picture command as a reply or without any picture.
        assert len(handled[name]) >= (1 if command.pictures is None else 2), name
        assert texts("ru")(command.usage) != command.usage, f"{name}'s usage is translated"


def test_a_buttons_job_draws_and_account_commands_do_not() -> None:
    assert JobKind.ACTION in DRAWING_KINDS
    assert not DRAWING_KINDS & {JobKind.INFO, JobKind.FAST, JobKind.RELAX}


def test_a_new_job_kind_needs_no_migration() -> None:
    """The kind is stored by name in a plain VARCHAR: no native ENUM type, no CHECK listing the
    kinds (tests/test_migrations.py stores a kind unknown today on both backends)."""
    column = Job.__table__.c.kind  # type: ignore[attr-defined]
    assert isinstance(column.type, Enum)
    assert not column.type.native_enum
    assert not column.type.create_constraint
    assert column.type.length == KIND_LENGTH >= max(len(kind.name) for kind in JobKind)


def sample_buttons() -> list[dict[str, Any]]:
    buttons = []
    for path in sorted(SAMPLES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8")).get("data") or {}
        for row in data.get("components") or []:
            buttons.extend(row.get("components") or [])
    return buttons


def test_every_button_kind_has_a_key_or_is_left_out_on_purpose() -> None:
    accounted = set(_KINDS) | set(_LEFT_OUT) | {ButtonKind.UNKNOWN}
    assert set(ButtonKind) == accounted


def test_every_known_button_that_makes_a_job_names_it_in_the_results_caption() -> None:
    buttons = sample_buttons()
    assert len(buttons) > 20, "the samples carry Midjourney's buttons"
    kinds = set()
    for button in buttons:
        found = key_for(button, texts("en"))
        if found is None or found[1].action == "imagine" or found[1].kind is None:
            continue
        kind = found[1].kind.partition(":")[0]
        if kind == "unknown":
            continue
        kinds.add(kind)
        assert kind in ACTION_WORDS or kind in UNNUMBERED_WORDS, kind
    assert {"upscale", "variation", "reroll", "pan_left"} <= kinds

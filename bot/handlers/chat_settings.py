"""/settings: a chat's default Midjourney parameters, picked from an inline menu.

Each button's callback_data is "s:<row>:<value>" (far below Telegram's 64 bytes) and carries the
choice itself, so the menu needs no stored token and keeps working after a restart. The chosen
values live in the ChatSettings table and are appended by `apply_chat_defaults` to prompts that
do not set the same parameter (bridge.prompts.with_defaults). In groups only the chat's admins
(and the bot's operators) may change them; in a private chat its user may.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.admin import is_admin_id
from bot.callbacks import SettingChoice
from bot.handlers.language import chat_language, settings_button
from bot.keyboards import MAX_KEYS_PER_ROW
from bot.services import BotContext
from bot.texts import N_, Texts
from bridge.prompts import with_defaults
from bridge.versions import DEFAULT, SPEEDS, VERSIONS, Variant, Version, find, variant
from storage.chat_settings import get_chat_settings, reset_chat_settings, set_chat_setting
from storage.db import Database
from storage.models import ChatSettings

_RESET: Final = "reset"
_SELECTED: Final = "✓ "
# ChatSettings.version holds "<version key>+<variant key>", either part may be empty: "8.1",
# "8.1+hd", "+sd" (HD/SD on whatever Midjourney's default is), "7+draft".
_JOIN: Final = "+"


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the menu: a ChatSettings field and its choices (value, label)."""

    key: str  # in callback_data
    field: str  # the ChatSettings column
    choices: tuple[tuple[str, str], ...]  # (value, label); labels in _WORDS are translated


_SPEED_LABELS: Final = {"fast": N_("⚡ fast"), "relax": N_("🐢 relax"), "turbo": N_("🚀 turbo")}
_VARIANTS: Final = tuple(dict.fromkeys((v.key, v.label) for ver in VERSIONS for v in ver.variants))
# Every row with every choice any version offers; the menu shows what the chosen one has.
ROWS: Final = (
    Row("v", "version", tuple((version.key, version.label) for version in VERSIONS)),
    Row("vo", "version", _VARIANTS),
    Row("ar", "aspect", tuple((ratio, ratio) for ratio in ("1:1", "3:2", "2:3", "16:9", "9:16"))),
    Row("s", "stylize", tuple((n, f"🎨 {n}") for n in ("0", "100", "250", "750"))),
    Row("sp", "speed", tuple((mode, _SPEED_LABELS[mode]) for mode in SPEEDS)),
    # One toggle: tapping it turns raw style on, tapping it again (✓) turns it off.
    Row("raw", "raw", (("on", N_("Raw style")),)),
)
# The labels that are words rather than Midjourney's values.
_WORDS: Final = frozenset({*_SPEED_LABELS.values(), N_("Raw style")})
_SPEED_WORDS: Final = {"fast": N_("fast"), "relax": N_("relax"), "turbo": N_("turbo")}
_BY_KEY: Final[Mapping[str, Row]] = {row.key: row for row in ROWS}


def _model(settings: ChatSettings) -> tuple[Version | None, Variant | None]:
    """The chosen version (None: Midjourney's default) and its chosen variant."""
    version_key, _, variant_key = (settings.version or "").partition(_JOIN)
    version = find(version_key)
    return version, variant(version or DEFAULT, variant_key or None)


def offered(row: Row, settings: ChatSettings) -> tuple[tuple[str, str], ...]:
    """The row's choices that the chat's version has (all of them for version-free rows)."""
    version = _model(settings)[0] or DEFAULT
    if row.key == "vo":
        return tuple((v.key, v.label) for v in version.variants)
    if row.key == "sp":
        return tuple(choice for choice in row.choices if choice[0] in version.speeds)
    if (row.key == "s" and not version.stylize) or (row.key == "raw" and not version.raw):
        return ()
    return row.choices


def selected(row: Row, settings: ChatSettings) -> str | None:
    """The row's chosen value as in callback_data, None when Midjourney decides."""
    if row.field == "version":
        version, chosen_variant = _model(settings)
        found = version if row.key == "v" else chosen_variant
        return None if found is None else found.key
    stored = getattr(settings, row.field)
    if row.field == "raw":
        value: str | None = "on" if stored else None
    else:
        value = None if stored is None else str(stored)
    # A value not offered (the menu changed, or not on this version) counts as unset.
    return value if any(value == choice for choice, _ in offered(row, settings)) else None


def defaults_of(settings: ChatSettings) -> dict[str, str]:
    """The chat's choices as Midjourney parameters, e.g. {"ar": "16:9", "style": "raw"}."""
    chosen = {row.key: selected(row, settings) for row in ROWS}
    version, chosen_variant = _model(settings)
    params: dict[str, str] = {}
    if version is not None:
        params[version.param[0]] = version.param[1]
    if chosen_variant is not None:
        params[chosen_variant.key] = ""  # --hd, --sd and --draft are flags
    if chosen["ar"] is not None:
        params["ar"] = chosen["ar"]
    if chosen["s"] is not None:
        params["stylize"] = chosen["s"]
    if chosen["sp"] is not None:
        params[chosen["sp"]] = ""  # --fast, --relax and --turbo are flags
    if chosen["raw"] == "on":
        params["style"] = "raw"
    return params


async def apply_chat_defaults(db: Database, chat_id: int, prompt: str) -> str:
    """The prompt with the chat's defaults for what it does not set itself."""
    async with db.transaction() as session:
        settings = await get_chat_settings(session=session, chat_id=chat_id)
    defaults = defaults_of(settings)
    # No defaults: the prompt goes exactly as typed.
    return with_defaults(prompt, defaults) if defaults else prompt


def _label(_: Texts, label: str) -> str:
    return _(label) if label in _WORDS else label


def _balanced(keys: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Keys in rows of at most MAX_KEYS_PER_ROW, as even as can be (5 keys: 3 + 2)."""
    count = -(-len(keys) // MAX_KEYS_PER_ROW)
    size = -(-len(keys) // count) if keys else 0
    return [keys[i : i + size] for i in range(0, len(keys), size)] if keys else []


def menu_markup(
    _: Texts, settings: ChatSettings, language: str | None = None
) -> InlineKeyboardMarkup:
    rows = []
    for row in ROWS:
        chosen = selected(row, settings)
        keys = [
            InlineKeyboardButton(
                (_SELECTED if value == chosen else "") + _label(_, label),
                callback_data=SettingChoice(row.key, value).pack(),
            )
            for value, label in offered(row, settings)
        ]
        rows.extend(_balanced(keys))
    rows.append([settings_button(_, language)])
    reset = SettingChoice(_RESET).pack()
    rows.append([InlineKeyboardButton(_("♻️ Reset"), callback_data=reset)])
    return InlineKeyboardMarkup(rows)


def summary(_: Texts, settings: ChatSettings) -> str:
    """The chat's choices on one line, Midjourney's own words where it has them."""
    version, chosen_variant = _model(settings)
    chosen = {row.key: selected(row, settings) for row in ROWS}
    parts = [
        version.label if version else None,
        chosen_variant.label if chosen_variant else None,
        chosen["ar"],
        f"stylize {chosen['s']}" if chosen["s"] is not None else None,
        _(_SPEED_WORDS[chosen["sp"]]) if chosen["sp"] in _SPEED_WORDS else None,
        _("raw style") if chosen["raw"] == "on" else None,
    ]
    shown = [part for part in parts if part]
    return " · ".join(shown) if shown else _("Midjourney's own defaults")


def menu_text(_: Texts, settings: ChatSettings, *, group: bool) -> str:
    body = _(
        "⚙️ Settings for this chat, added to every prompt that does not set them itself.\n\n"
        "Now: {summary}\n\n"
        "Rows: version (with HD/SD or draft where it has them) · shape · 🎨 stylize, how "
        "strongly Midjourney's own style shows · speed · raw style. Tap a ✓ again to clear it.",
        summary=summary(_, settings),
    )
    return body + (_("\nOnly the group's admins can change them.") if group else "")


def parse_choice(data: str) -> tuple[Row | None, str] | None:
    """(row, value) for a SettingChoice, (None, "reset") for reset; None if not ours."""
    choice = SettingChoice.unpack(data)
    if choice is None:
        return None
    if choice.option == _RESET:
        return None, _RESET
    row = _BY_KEY.get(choice.option)
    if row is None or all(choice.value != value for value, _label in row.choices):
        return None
    return row, choice.value


def _stored(row: Row, value: str | None, settings: ChatSettings) -> str | int | bool | None:
    """A menu value as its column holds it."""
    if row.field == "version":
        version, chosen_variant = _model(settings)
        if row.key == "v":
            version = find(value)
            # A variant stays only where the new version has it (HD/SD on V8, draft on V7).
            chosen_variant = chosen_variant and variant(version or DEFAULT, chosen_variant.key)
        else:
            chosen_variant = variant(version or DEFAULT, value)
        if version is None and chosen_variant is None:
            return None
        if chosen_variant is None:
            return version.key if version else None
        return f"{version.key if version else ''}{_JOIN}{chosen_variant.key}"
    if row.field == "raw":
        return value == "on"
    if row.field == "stylize" and value is not None:
        return int(value)
    return value


async def show(update: Update, context: BotContext) -> None:
    """Send the menu, with the chat's current choices marked."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None
    assert chat is not None
    _ = context.texts
    async with context.services.db.transaction() as session:
        settings = await get_chat_settings(session=session, chat_id=chat.id)
    language = await chat_language(context, chat.id)
    await message.reply_text(
        menu_text(_, settings, group=chat.type != "private"),
        reply_markup=menu_markup(_, settings, language),
    )


async def choose(update: Update, context: BotContext) -> None:
    """Store a tapped choice (tapping the chosen one clears it) and redraw the menu."""
    query = update.callback_query
    assert query is not None
    _ = context.texts
    message = query.message
    choice = parse_choice(query.data or "")
    if message is None or choice is None:
        await query.answer(
            _("That choice no longer exists; send /settings again."), show_alert=True
        )
        return
    chat = message.chat
    if not await is_admin_id(context, chat.id, query.from_user.id):
        await query.answer(_("Only this group's admins can change its settings."), show_alert=True)
        return
    row, value = choice
    async with context.services.db.transaction() as session:
        if row is None:
            await reset_chat_settings(session=session, chat_id=chat.id)
            settings = ChatSettings(chat_id=chat.id)
        else:
            settings = await get_chat_settings(session=session, chat_id=chat.id)
            new = None if selected(row, settings) == value else value
            settings = await set_chat_setting(
                session=session,
                chat_id=chat.id,
                field=row.field,
                value=_stored(row, new, settings),
                user_id=query.from_user.id,
            )
    await query.answer(_("Saved."))
    # BadRequest: "message is not modified" (a second tap on the same state), or it is gone.
    with contextlib.suppress(BadRequest):
        await context.bot.edit_message_text(
            menu_text(_, settings, group=chat.type != "private"),
            chat.id,
            message.message_id,
            reply_markup=menu_markup(_, settings, await chat_language(context, chat.id)),
        )


HANDLERS = [
    CommandHandler("settings", show, filters=filters.UpdateType.MESSAGE),
    CallbackQueryHandler(choose, pattern=SettingChoice.pattern()),
]

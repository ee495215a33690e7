"""The language the bot speaks in a chat: /settings → 🌐, or /language.

The choice is stored on the chat (Chat.language) and read by the gate (bot.access) with the
chat's row it reads anyway, so it costs no query. "Automatic" goes back to each user's Telegram
language. In groups only the chat's admins (and the bot's operators) may change it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import ClassVar, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.admin import is_admin_id
from bot.callbacks import CallbackData
from bot.services import BotContext
from bot.texts import LANGUAGE_NAMES, LANGUAGES, Texts, language_of, texts
from storage.chats import get_chat, set_chat_language

AUTOMATIC: Final = "auto"
_PER_ROW: Final = 2


@dataclasses.dataclass(frozen=True, slots=True)
class LanguageChoice(CallbackData):
    """A tap in the language menu: a catalogue, or "auto"."""

    PREFIX: ClassVar[str] = "l"
    language: str


def chosen_name(_: Texts, language: str | None) -> str:
    """The chat's language as the menu names it."""
    return LANGUAGE_NAMES[language_of(language)] if language else _("automatic")


def language_markup(_: Texts, current: str | None) -> InlineKeyboardMarkup:
    """Every language in its own words, two a row, then "automatic"."""
    keys = [
        InlineKeyboardButton(
            ("✓ " if lang == current else "") + LANGUAGE_NAMES[lang],
            callback_data=LanguageChoice(lang).pack(),
        )
        for lang in LANGUAGES
    ]
    rows = [keys[i : i + _PER_ROW] for i in range(0, len(keys), _PER_ROW)]
    automatic = ("✓ " if current is None else "") + _("🌐 Automatic (Telegram's language)")
    rows.append([InlineKeyboardButton(automatic, callback_data=LanguageChoice(AUTOMATIC).pack())])
    return InlineKeyboardMarkup(rows)


def language_text(_: Texts, current: str | None) -> str:
    return _(
        "🌐 The language I answer in here: {language}.\nChoose another one, or automatic to "
        "follow each person's Telegram language.",
        language=chosen_name(_, current),
    )


MENU: Final = "menu"  # the language button of /settings: opens this menu


async def chat_language(context: BotContext, chat_id: int) -> str | None:
    """The chat's chosen language; None for automatic."""
    async with context.services.db.transaction() as session:
        row = await get_chat(session=session, chat_id=chat_id)
    return row.language if row is not None else None


def settings_button(_: Texts, current: str | None) -> InlineKeyboardButton:
    """The /settings key that opens this menu, naming the chat's language."""
    return InlineKeyboardButton(
        _("🌐 Language: {language}", language=chosen_name(_, current)),
        callback_data=LanguageChoice(MENU).pack(),
    )


async def show(update: Update, context: BotContext) -> None:
    """/language: the menu of languages."""
    message = update.effective_message
    assert message is not None
    current = await chat_language(context, message.chat.id)
    _ = context.texts
    await message.reply_text(language_text(_, current), reply_markup=language_markup(_, current))


async def choose(update: Update, context: BotContext) -> None:
    """Store the tapped language and redraw the menu in it."""
    query = update.callback_query
    assert query is not None
    _ = context.texts
    choice = LanguageChoice.unpack(query.data)
    message = query.message
    valid = (*LANGUAGES, AUTOMATIC, MENU)
    if message is None or choice is None or choice.language not in valid:
        await query.answer(
            _("That choice no longer exists; send /settings again."), show_alert=True
        )
        return
    chat = message.chat
    if choice.language == MENU:
        current = await chat_language(context, chat.id)
        await query.answer()
        with contextlib.suppress(BadRequest):
            await context.bot.edit_message_text(
                language_text(_, current),
                chat.id,
                message.message_id,
                reply_markup=language_markup(_, current),
            )
        return
    if not await is_admin_id(context, chat.id, query.from_user.id):
        await query.answer(_("Only this group's admins can change its settings."), show_alert=True)
        return
    stored = None if choice.language == AUTOMATIC else choice.language
    async with context.services.db.transaction() as session:
        await set_chat_language(session=session, chat_id=chat.id, language=stored)
    # From now on this chat reads the new language (automatic: the tapper's own).
    context.language = stored or language_of(query.from_user.language_code)
    _ = texts(context.language)
    await query.answer(_("Saved."))
    with contextlib.suppress(BadRequest):  # a second tap on the same choice: "not modified"
        await context.bot.edit_message_text(
            language_text(_, stored),
            chat.id,
            message.message_id,
            reply_markup=language_markup(_, stored),
        )


HANDLERS = [
    CommandHandler("language", show),
    CallbackQueryHandler(choose, pattern=LanguageChoice.pattern()),
]

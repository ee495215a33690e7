"""The gate in front of every handler: chats that may not use the bot, and banned members.

It runs in handler group -1 and raises ApplicationHandlerStop to keep an update away from the
handlers, so nothing is reserved or submitted for it. Service messages (migrations, members
joining) always pass: they keep the database right whatever the chat's access.
"""

from __future__ import annotations

import logging
from typing import Final, NamedTuple

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler, filters

from bot.admin import is_operator, sender_id
from bot.commands import command_of
from bot.services import BotContext, Services
from bot.texts import language_of
from storage.chats import chat_allowed, claim_denied_notice, ensure_chat, get_chat, is_banned

_log = logging.getLogger(__name__)

# Operators can still run these in a chat that may not use the bot (to let it in, mainly).
OPERATOR_COMMANDS: Final = frozenset({"allow", "deny", "stats"})
GATE_GROUP: Final = -1


async def gate(update: Update, context: BotContext) -> None:
    """Stop updates from chats that are not allowed and from members banned in their chat."""
    chat = update.effective_chat
    query = update.callback_query
    message = None if query else update.effective_message
    if chat is None or (query is None and message is None):
        return
    if message is not None and filters.StatusUpdate.ALL.check_update(update):
        return
    user = update.effective_user
    # A message sent as a chat (anonymous admin, channel) has a stand-in `from`: no operator.
    as_chat = message is not None and message.sender_chat is not None
    operator = not as_chat and is_operator(context, user.id if user else None)
    actor = query.from_user.id if query else sender_id(message) if message else None
    allowed, banned, language = await standing(
        context.services, chat.id, actor, operator=operator, type=chat.type, title=chat.title
    )
    if language:
        # Chosen in /settings: it wins over Telegram's language_code for the whole update.
        context.language = language_of(language)
    if allowed and not banned:
        return
    if not allowed:
        command = command_of(message, context.bot.username) if message else None
        if operator and command in OPERATOR_COMMANDS:
            return
        await _refuse_chat(update, context)
    else:
        await _refuse_member(update, context)
    raise ApplicationHandlerStop


class Standing(NamedTuple):
    allowed: bool
    banned: bool
    language: str | None  # None: each user's Telegram language


async def standing(
    services: Services,
    chat_id: int,
    actor: int | None,
    *,
    operator: bool,
    type: str | None = None,
    title: str | None = None,
) -> Standing:
    """Whether the chat may use the bot and `actor` is banned there (what the gate and the
    Mini App both decide a tap by), and the chat's language from /settings."""
    async with services.db.transaction() as session:
        row = await get_chat(session=session, chat_id=chat_id)
        if row is None or (title and row.title != title):
            # Written once per chat (and on renames): /stats and /allow show the title.
            row = await ensure_chat(session=session, chat_id=chat_id, type=type, title=title)
        allowed = chat_allowed(row, chat_id, services.settings.allowed_chat_ids)
        banned = (
            allowed
            and not operator
            and actor is not None
            and await is_banned(session=session, chat_id=chat_id, user_id=actor)
        )
    return Standing(allowed, banned, row.language)


async def _refuse_chat(update: Update, context: BotContext) -> None:
    """Alert every tap, but write to the chat only once: a refusal must not become spam."""
    _ = context.texts
    if update.callback_query is not None:
        await _answer_alert(update, _("Sorry, this bot is not available in this chat."))
        return
    message = update.message
    if message is None:
        return
    async with context.services.db.transaction() as session:
        first = await claim_denied_notice(session=session, chat_id=message.chat.id)
    if first:
        await _reply(
            message,
            _(
                "Sorry, this bot is not available in this chat. Its operators can enable it "
                "with /allow."
            ),
        )


async def _refuse_member(update: Update, context: BotContext) -> None:
    """A banned member's commands and taps get a polite no; their other messages, silence."""
    _ = context.texts
    body = _("Sorry, an admin of this group has turned the bot off for you.")
    if update.callback_query is not None:
        await _answer_alert(update, body)
        return
    message = update.message
    if message is not None and command_of(message, context.bot.username) is not None:
        await _reply(message, body)


async def _answer_alert(update: Update, body: str) -> None:
    assert update.callback_query is not None
    try:
        await update.callback_query.answer(body, show_alert=True)
    except TelegramError:
        _log.info("refusal alert not shown", exc_info=True)


async def _reply(message: Message, body: str) -> None:
    try:
        await message.reply_text(body)
    except TelegramError:
        # Nothing else to do for a chat that will not take our reply (kicked, muted...).
        _log.info("refusal not sent", extra={"chat_id": message.chat.id}, exc_info=True)


GATE = TypeHandler(Update, gate)

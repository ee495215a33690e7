"""Group life: a group that becomes a supergroup keeps its data; admin changes reach the cache."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import ChatMigrated
from telegram.ext import ChatMemberHandler, MessageHandler, filters

from bot.admin import admin_cache
from bot.services import BotContext
from storage.chat_migration import migrate_chat

_log = logging.getLogger(__name__)


async def move_chat(context: BotContext, old_id: int, new_id: int) -> None:
    """Move the chat's rows (settings, quota ledger, jobs, buttons, members) to its new id."""
    async with context.services.db.transaction() as session:
        moved = await migrate_chat(session=session, old_id=old_id, new_id=new_id)
    # Telegram tells twice; moving chat_data a second time would wipe it with an empty dict.
    if old_id in context.application.chat_data:
        context.application.migrate_chat_data(old_chat_id=old_id, new_chat_id=new_id)
    admin_cache(context).forget(old_id)
    if moved:
        _log.info("chat migrated", extra={"old_chat_id": old_id, "new_chat_id": new_id})


async def on_migration(update: Update, context: BotContext) -> None:
    """Follow a group's upgrade to a supergroup, announced in the old chat and the new one."""
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id is not None:
        await move_chat(context, message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id is not None:
        await move_chat(context, message.migrate_from_chat_id, message.chat.id)


async def on_chat_migrated(update: object, context: BotContext) -> None:
    """Follow a migration learnt from a failed send (ChatMigrated) to the update's chat."""
    error = context.error
    if not isinstance(error, ChatMigrated) or not isinstance(update, Update):
        return
    if update.effective_chat is not None:
        await move_chat(context, update.effective_chat.id, error.new_chat_id)


async def on_member_change(update: Update, context: BotContext) -> None:
    """Forget the chat's cached admins when somebody's status in it changes."""
    if update.effective_chat is not None:
        admin_cache(context).forget(update.effective_chat.id)


HANDLERS = [
    MessageHandler(filters.StatusUpdate.MIGRATE, on_migration),
    ChatMemberHandler(on_member_change, ChatMemberHandler.ANY_CHAT_MEMBER),
]

"""Group life: a group that becomes a supergroup keeps its data; admin changes reach the cache.

`install` registers every group-chat feature (the access gate, the admin commands and these
handlers) on an application built by bot.app.build_application.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import ChatMigrated
from telegram.ext import Application, ChatMemberHandler, MessageHandler, filters

from bot.access import GATE, GATE_GROUP
from bot.admin import admin_cache
from bot.handlers import admin, fallback
from bot.services import BotContext
from storage.chats import migrate_chat

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


def install(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the gate, the admin commands and the group handlers; a second call is a no-op.

    The commands must come before fallback's catch-all, which answers every private message
    that no earlier handler of group 0 took.
    """
    if GATE in application.handlers.get(GATE_GROUP, []):
        return
    application.add_handler(GATE, group=GATE_GROUP)
    tail = [h for h in application.handlers.get(0, []) if h in fallback.HANDLERS]
    for handler in tail:
        application.remove_handler(handler)
    application.add_handlers([*admin.HANDLERS, *HANDLERS, *tail])
    application.add_error_handler(on_chat_migrated)

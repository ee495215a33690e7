"""Updates handed over twice are handled once (Telegram re-sends what it did not see confirmed).

SEEN runs before everything else and drops an update whose keys are known. The keys are
recorded together with what the update caused: a job's creation records them in its own
transaction (`remember_in`), so a kill after the job was made cannot make a second one and a
kill before it loses nothing; REMEMBER records the rest once the handlers are done.
"""

from __future__ import annotations

import contextvars
import logging
import time
from dataclasses import dataclass
from typing import Final

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.services import BotContext
from storage.updates import forget_before, remember, seen

_log = logging.getLogger(__name__)

SEEN_GROUP: Final = -2  # before the gate (-1)
REMEMBER_GROUP: Final = 100  # after every handler
_PRUNE_EVERY: Final = 600.0  # seconds between prunes of old keys


@dataclass(slots=True)
class _Handling:
    keys: tuple[str, ...]
    recorded: bool = False


# The update this task is handling: handlers run in its task (or in copies of its context).
_current: contextvars.ContextVar[_Handling | None] = contextvars.ContextVar(
    "update_keys", default=None
)
_pruned_at = -_PRUNE_EVERY


def keys_of(update: Update) -> tuple[str, ...]:
    """The update id, plus the new message or the callback query it carries (an edit of a
    message shares the message's ids, so only its update id names it)."""
    keys = [f"u{update.update_id}"]
    if update.callback_query is not None:
        keys.append(f"q{update.callback_query.id}")
    message = update.message or update.channel_post
    if message is not None:
        keys.append(f"m{message.chat.id}:{message.message_id}")
    return tuple(keys)


async def remember_in(session: AsyncSession) -> None:
    """Record the current update's keys in `session`'s transaction (a job's creation): a copy
    of the update handled before makes it fail with IntegrityError."""
    handling = _current.get()
    if handling is None or handling.recorded:
        return
    await remember(session=session, keys=handling.keys, strict=True)
    handling.recorded = True


async def skip_seen(update: Update, context: BotContext) -> None:
    """Drop an update handled before."""
    global _pruned_at
    keys = keys_of(update)
    db = context.services.db
    async with db.transaction() as session:
        if time.monotonic() - _pruned_at > _PRUNE_EVERY:
            _pruned_at = time.monotonic()
            await forget_before(session=session)
        known = await seen(session=session, keys=keys)
    if known:
        _log.info("update handed over again, skipped", extra={"update_id": update.update_id})
        raise ApplicationHandlerStop
    _current.set(_Handling(keys))


async def record_seen(update: Update, context: BotContext) -> None:
    """Record an update that made no job (its handlers are done)."""
    handling = _current.get()
    if handling is None or handling.recorded:
        return
    async with context.services.db.transaction() as session:
        await remember(session=session, keys=handling.keys, strict=False)
    handling.recorded = True


SEEN = TypeHandler(Update, skip_seen)
REMEMBER = TypeHandler(Update, record_seen)

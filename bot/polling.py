"""Long polling that confirms an update to Telegram only once it is handled.

PTB's updater asks for the next updates (which confirms the ones before) as soon as it has
queued the last ones, so a kill right after a getUpdates loses every update not yet handled.
Here the offset sent to Telegram never passes an update still being handled: Telegram hands
those over again after a restart (bot/dedup.py drops the ones that were handled), and while
this process runs, the copies it hands over again are filtered out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import Application, ExtBot

# An update handled for longer than this no longer holds the others back (Telegram sends at
# most 100 a call: a stuck one must not starve the rest).
_MAX_HOLD_S = 60.0
# When a poll brings only updates already being handled, wait this long before the next one.
_PAUSE_S = 0.2


class UpdateHold:
    """The ids of updates fetched and not yet handled, with when they came."""

    def __init__(self) -> None:
        self._held: dict[int, float] = {}
        # Handled, but past the offset sent: Telegram hands them over again while an older
        # update is in hand, and a refused request (which leaves no trace for bot/dedup.py)
        # would be answered twice.
        self._handled: set[int] = set()

    def offset(self, offset: int | None) -> int | None:
        now = time.monotonic()
        live = [update_id for update_id, at in self._held.items() if now - at < _MAX_HOLD_S]
        sent = offset if offset is None or not live else min(offset, *live)
        if sent is not None:
            self._handled = {update_id for update_id in self._handled if update_id >= sent}
        return sent

    def take(self, updates: Sequence[Update]) -> tuple[Update, ...]:
        """The updates not handed over before; those are held from now on."""
        known = self._held.keys() | self._handled
        fresh = tuple(u for u in updates if u.update_id not in known)
        now = time.monotonic()
        for update in fresh:
            self._held[update.update_id] = now
        return fresh

    def done(self, update_id: int) -> None:
        self._held.pop(update_id, None)
        self._handled.add(update_id)


class HoldingBot(ExtBot[None]):
    __slots__ = ("hold",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before the bot's own init, which freezes it against attribute changes.
        object.__setattr__(self, "hold", UpdateHold())
        super().__init__(*args, **kwargs)

    async def get_updates(  # type: ignore[override]
        self, offset: int | None = None, *args: Any, **kwargs: Any
    ) -> tuple[Update, ...]:
        updates = await super().get_updates(self.hold.offset(offset), *args, **kwargs)
        fresh = self.hold.take(updates)
        if updates and not fresh:
            await asyncio.sleep(_PAUSE_S)  # only updates in hand: do not spin on them
        return fresh


class HoldingApplication(Application):  # type: ignore[type-arg]
    """Releases each update once its handlers are done (see HoldingBot)."""

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if isinstance(update, Update) and isinstance(self.bot, HoldingBot):
                self.bot.hold.done(update.update_id)

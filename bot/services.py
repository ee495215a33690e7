"""The objects handlers need, bundled once at start and reached through the typed context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.albums import AlbumCollector
from bot.settings import Settings
from bridge.dispatcher import Dispatcher
from storage.db import Database

if TYPE_CHECKING:
    from bot.delivery import Delivery


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    db: Database
    dispatcher: Dispatcher
    delivery: Delivery
    albums: AlbumCollector


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with typed access to the services."""

    @property
    def services(self) -> Services:
        return self.bot_data["services"]  # type: ignore[no-any-return]


BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]

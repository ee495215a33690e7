"""The objects handlers need, bundled once at start and reached through the typed context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.albums import AlbumCollector
from bot.settings import Settings
from bot.texts import Texts, language_of, texts
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
    """CallbackContext with typed access to the services and the update's language.

    PTB makes one context per update and hands it to every handler group, so the language is
    worked out once: from Telegram's language_code here, then from the chat's or user's choice
    in /settings by the gate (bot.access), which reads the chat's row anyway.
    """

    language: str = "en"

    @classmethod
    def from_update(cls, update: object, application: Any) -> BotContext:
        context = super().from_update(update, application)
        user = update.effective_user if isinstance(update, Update) else None
        context.language = language_of(user.language_code if user else None)
        return context

    @property
    def services(self) -> Services:
        return self.bot_data["services"]  # type: ignore[no-any-return]

    @property
    def texts(self) -> Texts:
        """The catalogue in the update's language: ``_ = context.texts; _("Saved.")``."""
        return texts(self.language)


BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]

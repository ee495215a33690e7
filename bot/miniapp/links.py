"""The 🖌 Vary (Region) button: how each kind of chat opens the Mini App.

Private chats take an inline `web_app` button (Telegram then signs init data for the page).
Groups may not have those: they get the bot's Mini App link t.me/<bot>/<app>?startapp=<token>
(from BotFather's /newapp), or, without an app name, a plain link to the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from telegram import Bot, InlineKeyboardButton, WebAppInfo


@dataclass(frozen=True, slots=True)
class MiniAppLinks:
    public_url: str  # MINIAPP_PUBLIC_URL, without a trailing slash
    app_name: str  # MINIAPP_NAME, or ""
    bot: Bot  # its username is known once PTB has initialised it

    def page_url(self, token: str) -> str:
        return f"{self.public_url}/?t={quote(token)}"

    def button(self, label: str, token: str, *, private: bool) -> InlineKeyboardButton:
        # Telegram opens web_app buttons over HTTPS only; http:// is for a desktop browser.
        if private and self.public_url.startswith("https://"):
            return InlineKeyboardButton(label, web_app=WebAppInfo(self.page_url(token)))
        if self.app_name:
            app = f"https://t.me/{self.bot.username}/{self.app_name}"
            link = f"{app}?startapp={quote(token)}"
            return InlineKeyboardButton(label, url=link)
        return InlineKeyboardButton(label, url=self.page_url(token))

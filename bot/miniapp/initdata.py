"""Telegram's Mini App init data: checked as core.telegram.org/bots/webapps documents it.

The page sends the string Telegram gave it (`Telegram.WebApp.initData`, or `tgWebAppData`
from the URL fragment) with every request. It is a query string whose `hash` is
hex(HMAC_SHA256(secret_key, data_check_string)), where secret_key = HMAC_SHA256(key="WebAppData",
msg=bot_token) and data_check_string is every other field as `key=value`, sorted by key, joined
with line feeds. Only Telegram (and whoever holds the bot token) can make one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

MAX_AGE_S = 3600  # older init data is refused: a leaked string stops working within an hour
_MAX_LENGTH = 8192


class InvalidInitData(Exception):
    """Init data that is not Telegram's, not for this bot, or too old."""


@dataclass(frozen=True, slots=True)
class InitData:
    user_id: int
    language_code: str | None
    auth_date: int
    start_param: str | None
    chat_type: str | None


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields))


def validate(raw: str, bot_token: str, *, now: float, max_age: float = MAX_AGE_S) -> InitData:
    """The user behind `raw`, or InvalidInitData."""
    if not raw or len(raw) > _MAX_LENGTH:
        raise InvalidInitData("missing or too long")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidInitData("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInitData("a field given twice")
    received = fields.pop("hash", "")
    expected = hmac.new(
        _secret_key(bot_token), _check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, received):
        raise InvalidInitData("bad hash")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InvalidInitData("no user or auth_date") from None
    if not -60 <= now - auth_date <= max_age:  # a minute's grace for clocks ahead
        raise InvalidInitData("stale")
    language = user.get("language_code")
    return InitData(
        user_id=user_id,
        language_code=language if isinstance(language, str) else None,
        auth_date=auth_date,
        start_param=fields.get("start_param"),
        chat_type=fields.get("chat_type"),
    )


def sign(fields: dict[str, str], bot_token: str) -> str:
    """Init data as Telegram makes it (tests, and bot.miniapp.devlink for a desktop browser)."""
    digest = hmac.new(
        _secret_key(bot_token), _check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    return urlencode({**fields, "hash": digest})

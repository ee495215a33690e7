"""Telegram's Mini App init data: Telegram's own signing steps, forgeries, staleness."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import quote

import pytest

from bot.miniapp.initdata import InvalidInitData, sign, validate

TOKEN = "123456:TEST-telegram-token-secret"
NOW = 1_800_000_000
USER = json.dumps({"id": 70, "language_code": "zh-hans"}, separators=(",", ":"))


def telegram_signed(fields: dict[str, str], token: str = TOKEN) -> str:
    """Init data made step by step as core.telegram.org/bots/webapps describes it."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(key=b"WebAppData", msg=token.encode(), digestmod=hashlib.sha256).digest()
    digest = hmac.new(key=secret, msg=check.encode(), digestmod=hashlib.sha256).hexdigest()
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in [*fields.items(), ("hash", digest)])


def fields(**extra: str) -> dict[str, str]:
    return {"auth_date": str(NOW - 5), "query_id": "AAH", "user": USER, **extra}


def test_telegrams_signature_is_accepted_and_read() -> None:
    init = validate(telegram_signed(fields(start_param="tok_1")), TOKEN, now=NOW)
    assert (init.user_id, init.language_code, init.start_param) == (70, "zh-hans", "tok_1")
    # Our own signer (tests, the dev link) makes the same thing.
    assert validate(sign(fields(), TOKEN), TOKEN, now=NOW).user_id == 70


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (telegram_signed(fields(), token="654321:another-bot"), "another bot's token"),
        (telegram_signed(fields()).replace("%22id%22%3A70", "%22id%22%3A71"), "user changed"),
        (telegram_signed(fields()) + "&start_param=other", "field added after signing"),
        (telegram_signed(fields()).rsplit("&hash=", 1)[0], "no hash"),
        (telegram_signed(fields(auth_date=str(NOW - 3601))), "older than an hour"),
        (telegram_signed(fields(auth_date=str(NOW + 600))), "from the future"),
        (telegram_signed({"auth_date": str(NOW)}), "no user"),
        ("", "empty"),
        ("%%%", "not a query string"),
    ],
)
def test_forged_stale_or_broken_init_data_is_refused(raw: str, why: str) -> None:
    with pytest.raises(InvalidInitData):
        validate(raw, TOKEN, now=NOW)


def test_an_hour_old_init_data_still_works() -> None:
    assert validate(telegram_signed(fields(auth_date=str(NOW - 3590))), TOKEN, now=NOW)

"""`python -m bot.miniapp.devlink <token or page URL> <your Telegram user id>`: the page as
Telegram would open it, for a desktop browser (MINIAPP_PUBLIC_URL=http://127.0.0.1:8090).

Telegram signs a Mini App's init data with the bot token; outside Telegram nobody does, so the
page refuses to work. This signs it the same way, with the token from .env, valid for an hour:
a tool for the bot's operator trying Vary (Region) locally, never something to hand out.
"""

from __future__ import annotations

import json
import sys
import time
from urllib.parse import parse_qs, quote, urlsplit

from bot.miniapp.initdata import sign
from bot.settings import SettingsError, load_settings


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    target, user_id = argv
    token = parse_qs(urlsplit(target).query).get("t", [target])[0]
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not settings.miniapp_public_url:
        print("error: MINIAPP_PUBLIC_URL is not set", file=sys.stderr)
        return 2
    fields = {
        "auth_date": str(int(time.time())),
        "user": json.dumps({"id": int(user_id), "first_name": "dev"}, separators=(",", ":")),
    }
    signed = sign(fields, settings.telegram_bot_token.get_secret_value())
    print(f"{settings.miniapp_public_url}/?t={quote(token)}#tgWebAppData={quote(signed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

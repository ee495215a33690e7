"""`python -m bot`: read the settings, then run until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

from telegram.error import InvalidToken

from bot import heap
from bot.app import run
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from bot.startup import DependencyUnavailable
from bridge.discord_backend import StartupError


def _secrets(settings: Settings) -> list[str]:
    tokens = [
        settings.telegram_bot_token,
        settings.discord_user_token,
        settings.discord_bot_token,
    ]
    if settings.discord_accounts is not None:
        tokens += [account.user_token for account in settings.accounts]
    return [t.get_secret_value() for t in tokens if t is not None]


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run(settings, stop=stop, on_ready=heap.settle)


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc} (see .env.example)", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, _secrets(settings))
    try:
        asyncio.run(_serve(settings))
    except InvalidToken:
        print("error: TELEGRAM_BOT_TOKEN was refused by Telegram", file=sys.stderr)
        return 1
    except (StartupError, DependencyUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m bot.envcheck`: is .env (with the environment) enough to start? Standard library only.

`make run` calls it before installing anything, so a newcomer learns at once, in one line,
what to set. It knows only the variables a start cannot do without; bot/settings.py remains the
judge of every value (tests/test_envcheck.py keeps the two in step).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

ENV_FILE = Path(".env")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as python-dotenv reads the simple ones (comments and quotes allowed)."""
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key.strip()] = value
    return values


def missing(env: Mapping[str, str]) -> list[str]:
    """The variables a start needs and `env` leaves empty, in the order .env.example has them."""

    def unset(name: str) -> bool:
        return not env.get(name, "").strip()

    needed = ["TELEGRAM_BOT_TOKEN"]
    if env.get("MIDJOURNEY_BACKEND", "discord").strip().lower() != "simulator":
        if unset("DISCORD_ACCOUNTS"):
            needed.append("DISCORD_USER_TOKEN")
        needed += ["DISCORD_BOT_TOKEN", "DISCORD_GUILD_ID"]
        if unset("DISCORD_ACCOUNTS"):
            needed.append("DISCORD_CHANNEL_ID")
    return [name for name in needed if unset(name)]


def main() -> int:
    if not ENV_FILE.exists():
        print(
            "No .env file: run `cp .env.example .env` and set TELEGRAM_BOT_TOKEN "
            "(from @BotFather) in it.",
            file=sys.stderr,
        )
        return 1
    env = {**read_env_file(ENV_FILE), **os.environ}
    lacking = missing(env)
    if not lacking:
        return 0
    hint = ""
    if lacking != ["TELEGRAM_BOT_TOKEN"]:
        hint = " (or MIDJOURNEY_BACKEND=simulator to try the bot without Discord)"
    print(f".env is missing {', '.join(lacking)}{hint}.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

"""Commands as Telegram delivers them: "/name@this_bot the rest", in text or a caption.

The one parser of `/command@bot` (the gate, the picture handlers and the prompt commands use
it), and `new_commands`, the handlers for commands that must not run again when edited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final

from telegram import Message
from telegram.ext import CommandHandler, filters

_COMMAND: Final = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@(\w+))?(?:\s+(.*))?$", re.DOTALL)

# Edited commands are not run again: an edit of "/ban" must not ban twice or someone else.
NEW_MESSAGE: Final = filters.UpdateType.MESSAGE


def parse_command(text: str | None, bot_username: str | None) -> tuple[str, str] | None:
    """("imagine", "the rest") for "/imagine@this_bot the rest"; None if not for this bot."""
    match = _COMMAND.match((text or "").strip())
    if match is None:
        return None
    name, addressee, rest = match.groups()
    if addressee and (bot_username is None or addressee.lower() != bot_username.lower()):
        return None
    return name.lower(), (rest or "").strip()


def command_of(message: Message, bot_username: str | None) -> str | None:
    """The /command a message (or a photo's caption) starts with, if addressed to this bot."""
    body = message.text if message.text is not None else message.caption
    parsed = parse_command(body, bot_username)
    return parsed[0] if parsed else None


Callback = Callable[..., Coroutine[Any, Any, None]]


def new_commands(commands: Mapping[str, Callback]) -> list[CommandHandler[Any, None]]:
    """CommandHandlers that ignore edits of a command already run."""
    return [
        CommandHandler(name, callback, filters=NEW_MESSAGE) for name, callback in commands.items()
    ]

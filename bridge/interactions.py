"""Interaction payloads for Discord's POST /interactions (midjourney-formats.md a.2–a.4)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.constants import INTERACTION_COMPONENT, INTERACTION_SLASH_COMMAND, MIDJOURNEY_APP_ID

_DISCORD_EPOCH_MS = 1_420_070_400_000
_sequence = itertools.count()


def new_nonce() -> str:
    """A Discord-style snowflake: unique per process and increasing, as Discord expects."""
    ms = int(time.time() * 1000) - _DISCORD_EPOCH_MS
    return str((ms << 22) | (next(_sequence) & 0x3FFFFF))


@dataclass(frozen=True, slots=True)
class Interaction:
    """One thing to ask Midjourney: a slash command, or a press of a button on its message."""

    nonce: str
    command: str | None = None  # "imagine", "describe", ...
    prompt: str = ""
    message_id: str | None = None  # the Midjourney message whose button is pressed
    custom_id: str | None = None
    message_flags: int = 0


@dataclass(frozen=True, slots=True)
class Place:
    guild_id: str
    channel_id: str
    session_id: str


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    version: str
    name: str


def _envelope(kind: int, place: Place, nonce: str) -> dict[str, Any]:
    return {
        "type": kind,
        "application_id": MIDJOURNEY_APP_ID,
        "guild_id": place.guild_id,
        "channel_id": place.channel_id,
        "session_id": place.session_id,
        "nonce": nonce,
    }


def slash_command(place: Place, command: Command, nonce: str, prompt: str) -> dict[str, Any]:
    payload = _envelope(INTERACTION_SLASH_COMMAND, place, nonce)
    payload["data"] = {
        "version": command.version,
        "id": command.id,
        "name": command.name,
        "type": 1,
        "options": [{"type": 3, "name": "prompt", "value": prompt}],
        "attachments": [],
    }
    return payload


def button_press(
    place: Place, nonce: str, message_id: str, custom_id: str, message_flags: int = 0
) -> dict[str, Any]:
    payload = _envelope(INTERACTION_COMPONENT, place, nonce)
    payload["message_id"] = message_id
    payload["message_flags"] = message_flags
    payload["data"] = {"component_type": 2, "custom_id": custom_id}
    return payload


def payload(
    interaction: Interaction, place: Place, command: Callable[[str], Command]
) -> dict[str, Any]:
    """The JSON body for an interaction; `command` resolves a slash command's id and version."""
    if interaction.command is not None:
        return slash_command(
            place, command(interaction.command), interaction.nonce, interaction.prompt
        )
    if not (interaction.message_id and interaction.custom_id):
        raise ValueError("a button press needs message_id and custom_id")
    return button_press(
        place,
        interaction.nonce,
        interaction.message_id,
        interaction.custom_id,
        interaction.message_flags,
    )

"""Interaction payloads for Discord's POST /interactions (docs/midjourney-on-the-wire.md)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.constants import (
    INTERACTION_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
    INTERACTION_SLASH_COMMAND,
    MIDJOURNEY_APP_ID,
)

_DISCORD_EPOCH_MS = 1_420_070_400_000
_sequence = itertools.count()


def new_nonce() -> str:
    """A Discord-style snowflake: unique per process and increasing, as Discord expects."""
    ms = int(time.time() * 1000) - _DISCORD_EPOCH_MS
    return str((ms << 22) | (next(_sequence) & 0x3FFFFF))


@dataclass(frozen=True, slots=True)
class Upload:
    """A file put into Discord's upload storage, referenced by a slash command (see
    docs/midjourney-on-the-wire.md#uploading-images)."""

    filename: str
    uploaded_filename: str


@dataclass(frozen=True, slots=True)
class Interaction:
    """One thing to ask Midjourney: a slash command, or a press of a button on its message."""

    nonce: str
    command: str | None = None  # "imagine", "describe", "blend", ...
    prompt: str = ""
    images: tuple[Upload, ...] = ()  # describe: one; blend: two to five
    message_id: str | None = None  # the Midjourney message whose button is pressed
    custom_id: str | None = None  # the button, or the modal being submitted
    message_flags: int = 0
    modal_id: str | None = None  # the interaction that opened the modal being submitted
    fields: tuple[tuple[str, str], ...] = ()  # the modal's text inputs: (custom_id, value)


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


def _describe(interaction: Interaction) -> list[dict[str, Any]]:
    return [{"type": 11, "name": "image", "value": 0}]


def _blend(interaction: Interaction) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = [
        {"type": 11, "name": f"image{n + 1}", "value": n} for n in range(len(interaction.images))
    ]
    if interaction.prompt:  # "--ar 2:3", "--ar 1:1" or "--ar 3:2"
        options.append({"type": 3, "name": "dimensions", "value": interaction.prompt})
    return options


def _prompt(interaction: Interaction) -> list[dict[str, Any]]:
    return [{"type": 3, "name": "prompt", "value": interaction.prompt}]


# A slash command's options by its name, where they are not one "prompt" string (imagine,
# shorten, info...); images are referenced by their index in `attachments`
# (docs/midjourney-on-the-wire.md#slash-command-options). A new command with other options is
# one line here (docs/extending.md).
_OPTIONS: dict[str, Callable[[Interaction], list[dict[str, Any]]]] = {
    "describe": _describe,
    "blend": _blend,
}


def _options(interaction: Interaction) -> list[dict[str, Any]]:
    return _OPTIONS.get(interaction.command or "", _prompt)(interaction)


def slash_command(place: Place, command: Command, interaction: Interaction) -> dict[str, Any]:
    payload = _envelope(INTERACTION_SLASH_COMMAND, place, interaction.nonce)
    payload["data"] = {
        "version": command.version,
        "id": command.id,
        "name": command.name,
        "type": 1,
        "options": _options(interaction),
        "attachments": [
            {
                "id": str(n),
                "filename": image.filename,
                "uploaded_filename": image.uploaded_filename,
            }
            for n, image in enumerate(interaction.images)
        ],
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


def modal_submit(place: Place, interaction: Interaction) -> dict[str, Any]:
    """Type 5: `data.id` is the interaction that opened the modal, not a new one (see
    docs/midjourney-on-the-wire.md#forms-modals)."""
    body = _envelope(INTERACTION_MODAL_SUBMIT, place, interaction.nonce)
    body["data"] = {
        "id": interaction.modal_id,
        "custom_id": interaction.custom_id,
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": field, "value": value}]}
            for field, value in interaction.fields
        ],
    }
    return body


def payload(
    interaction: Interaction, place: Place, command: Callable[[str], Command]
) -> dict[str, Any]:
    """The JSON body for an interaction; `command` resolves a slash command's id and version."""
    if interaction.command is not None:
        return slash_command(place, command(interaction.command), interaction)
    if interaction.modal_id is not None:
        return modal_submit(place, interaction)
    if not (interaction.message_id and interaction.custom_id):
        raise ValueError("a button press needs message_id and custom_id")
    return button_press(
        place,
        interaction.nonce,
        interaction.message_id,
        interaction.custom_id,
        interaction.message_flags,
    )

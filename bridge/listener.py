"""The channel listener: a discord.py bot that hands Midjourney's raw messages to the parser.

It reads raw gateway payloads (`on_socket_raw_receive`) rather than discord.py's Message objects:
that way creates, edits and deletes all arrive as the dicts the parser is tested on, whether or
not discord.py's message cache knows the message (it is empty after a restart).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

_log = logging.getLogger(__name__)

_MESSAGE_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"})

RawSink = Callable[[str, dict[str, Any]], Awaitable[None]]


class ChannelListener(discord.Client):
    def __init__(
        self, *, channel_id: str, sink: RawSink, guild_ready_timeout: float = 0.5
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.message_content = True
        super().__init__(
            intents=intents,
            enable_debug_events=True,
            max_messages=None,  # we never use discord.py's cache
            chunk_guilds_at_startup=False,
            # After READY, discord.py waits this long for each guild before on_ready.
            guild_ready_timeout=guild_ready_timeout,
        )
        self._channel_id = channel_id
        self._sink = sink

    async def on_socket_raw_receive(self, raw: str) -> None:
        payload = json.loads(raw)
        if payload.get("t") not in _MESSAGE_EVENTS:
            return
        data = payload.get("d") or {}
        if str(data.get("channel_id")) != self._channel_id:
            return
        await self._sink(payload["t"], data)

    async def on_ready(self) -> None:
        _log.info("Discord listener connected", extra={"user": str(self.user)})

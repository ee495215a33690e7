"""Midjourney through Discord: interactions over REST, results from the channel listener."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl

from bridge.backend import EventSink
from bridge.constants import FALLBACK_COMMANDS, MIDJOURNEY_APP_ID
from bridge.errors import BridgeError, DiscordHTTPError
from bridge.inpaint import DEFAULT_ACTIVITY_URL, ActivityClient
from bridge.interactions import Command, Interaction, Place, Upload, payload
from bridge.listener import ChannelListener
from bridge.parser import parse
from bridge.rest import DiscordRest
from bridge.user_gateway import GatewayRefused, UserGateway

_log = logging.getLogger(__name__)

_OUTDATED = "INTERACTION_APPLICATION_COMMAND_INVALID_VERSION"


class StartupError(BridgeError):
    """Discord refused us at start (bad token, missing access): the bot cannot run."""


class DiscordBackend:
    def __init__(
        self,
        *,
        api_url: str,
        gateway_url: str,
        user_token: str,
        bot_token: str,
        guild_id: str,
        channel_id: str,
        ready_timeout: float = 30.0,
        activity_url: str = DEFAULT_ACTIVITY_URL,
        guild_ready_timeout: float = 0.5,
    ) -> None:
        self._api_url = api_url
        self._gateway_url = gateway_url
        self._bot_token = bot_token
        self._ready_timeout = ready_timeout
        # Peers show Discord does not check session_id strictly; a random one per run is honest.
        self.place = Place(guild_id, channel_id, secrets.token_hex(16))
        self.rest = DiscordRest(api_url=api_url, user_token=user_token)
        self.editor = ActivityClient(base_url=activity_url)
        self._commands: dict[str, Command] = {}
        self._sink: EventSink | None = None
        self._listener = ChannelListener(
            channel_id=channel_id, sink=self._on_raw, guild_ready_timeout=guild_ready_timeout
        )
        self._listener_task: asyncio.Task[None] | None = None
        self.user_gateway = UserGateway(
            gateway_url=gateway_url,
            token=user_token,
            channel_id=channel_id,
            # Everything the user session sees, public messages too: Discord may show the
            # listener bot no nonce and no interaction_metadata, and the dispatcher takes each
            # message once, whichever copy comes first.
            sink=self._on_raw,
            on_fatal=self._on_user_gateway_fatal,
        )
        # Called when Discord ends the user account's session for good (token revoked, ...).
        self.on_account_lost: Callable[[str], Awaitable[None]] | None = None

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        # discord.py reads these class attributes on every request and connect.
        discord.http.Route.BASE = self._api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self._gateway_url)
        await self.rest.start()
        try:
            await self._listener.login(self._bot_token)
        except discord.LoginFailure as exc:
            raise StartupError("DISCORD_BOT_TOKEN was refused by Discord") from exc
        try:
            await self.refresh_commands()
        except DiscordHTTPError as exc:
            if exc.status == 401:
                raise StartupError("DISCORD_USER_TOKEN was refused by Discord") from exc
            _log.warning("command look-up failed, using fallback ids", extra={"error": str(exc)})
        try:
            await self.user_gateway.start(ready_timeout=self._ready_timeout)
        except GatewayRefused as exc:
            raise StartupError("DISCORD_USER_TOKEN was refused by the Discord gateway") from exc
        # Interactions carry the session they come from, as the web client's do.
        self.place = Place(
            self.place.guild_id,
            self.place.channel_id,
            self.user_gateway.session_id or self.place.session_id,
        )
        self._listener_task = asyncio.create_task(self._listen(), name="discord-listener")
        ready = asyncio.create_task(self._listener.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, self._listener_task},
            timeout=self._ready_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if ready not in done:
            ready.cancel()
            if self._listener_task in done and self._listener_task.exception():
                raise StartupError("the Discord gateway refused the bot") from (
                    self._listener_task.exception()
                )
            raise StartupError("the Discord gateway did not answer in time")

    def sessions(self) -> dict[str, bool]:
        """Whether each gateway session is connected now: the bot's (the channel listener)
        and the user account's. Read by the health check (bot/health.py)."""
        ws = self._listener.ws
        bot = ws is not None and ws.open and not self._listener.is_closed()
        return {"bot": bot, "user": self.user_gateway.connected}

    async def _listen(self) -> None:
        """Keep the listener connected. discord.py reconnects after network trouble itself, but
        an exception while it parses a payload ends `connect()`; without this loop every job
        would then silently wait for its timeout."""
        failures = 0
        while not self._listener.is_closed():
            try:
                await self._listener.connect(reconnect=True)
            except discord.LoginFailure:
                raise
            except Exception:
                failures += 1
                _log.exception("Discord listener stopped, reconnecting", extra={"n": failures})
                await asyncio.sleep(min(60.0, 0.5 * 2**failures))
            else:
                return

    async def refresh_commands(self) -> None:
        """Read Midjourney's current command ids and versions from the guild's command index."""
        commands = await self.rest.command_index(self.place.guild_id)
        self._commands = {
            c["name"]: Command(id=str(c["id"]), version=str(c["version"]), name=c["name"])
            for c in commands
            if str(c.get("application_id")) == MIDJOURNEY_APP_ID
        }

    def command(self, name: str) -> Command:
        known = self._commands.get(name)
        if known is not None:
            return known
        command_id, version = FALLBACK_COMMANDS[name]
        return Command(id=command_id, version=version, name=name)

    async def submit(self, interaction: Interaction) -> None:
        try:
            await self.rest.post_interaction(payload(interaction, self.place, self.command))
        except DiscordHTTPError as exc:
            if exc.status != 400 or _OUTDATED not in exc.message:
                raise
            # Midjourney redeployed its commands: look them up again once and retry.
            _log.info("command outdated, refreshing", extra={"command": interaction.command})
            await self.refresh_commands()
            await self.rest.post_interaction(payload(interaction, self.place, self.command))

    async def fetch(self, url: str) -> bytes:
        return await self.rest.download(url)

    async def inpaint(self, *, custom_id: str, mask_png: bytes, prompt: str) -> None:
        await self.editor.submit(
            custom_id=custom_id,
            mask_png=mask_png,
            prompt=prompt,
            channel_id=self.place.channel_id,
            guild_id=self.place.guild_id,
        )

    async def history(self, limit: int) -> list[dict[str, Any]]:
        return await self.rest.channel_messages(self.place.channel_id, limit)

    async def upload(self, data: bytes, filename: str) -> Upload:
        uploaded = await self.rest.upload(self.place.channel_id, data, filename)
        return Upload(filename, uploaded)

    async def publish(self, data: bytes, filename: str) -> str:
        upload = await self.upload(data, filename)
        return await self.rest.post_attachment(
            self.place.channel_id, filename, upload.uploaded_filename
        )

    async def aclose(self) -> None:
        await self.user_gateway.aclose()
        await self._listener.close()
        if self._listener_task is not None:
            await asyncio.gather(self._listener_task, return_exceptions=True)
        await self.rest.aclose()
        await self.editor.aclose()

    async def _on_user_gateway_fatal(self, code: int, reason: str) -> None:
        _log.error("the Midjourney account's session was ended", extra={"code": code})
        if self.on_account_lost is not None:
            await self.on_account_lost(f"gateway closed {code}: {reason}")

    async def _on_raw(self, event: str, data: dict[str, Any]) -> None:
        parsed = parse(event, data)
        if parsed is not None and self._sink is not None:
            await self._sink(parsed)

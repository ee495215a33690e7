"""Discord REST with the Midjourney user account: interactions, command look-up, CDN downloads.

One aiohttp session for the client's life and one retry policy for every call, CDN downloads
included: 429 waits for Discord's retry_after (global or per route), 5xx, resets and timeouts
back off exponentially; every other status is an error that carries Discord's code. The status
is read before the body, which Discord's edge often sends as HTML or plain text. The token is
sent to Discord's API only, never to the CDN.
"""

from __future__ import annotations

import json as json_module
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bridge.errors import (
    DiscordHTTPError,
    DiscordMaybeSent,
    DiscordRateLimited,
    DiscordUnavailable,
)

_log = logging.getLogger(__name__)

# Discord's web client sends a browser User-Agent; a library default stands out (see
# docs/midjourney-on-the-wire.md#interactions).
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


class _Retry(Exception):
    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after


_RETRIED = (_Retry, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError)
_NOT_JSON = object()


async def _json_body(response: aiohttp.ClientResponse) -> Any:
    """The decoded body: None when empty, _NOT_JSON for an edge's HTML or text page."""
    raw = await response.read()
    if not raw.strip():
        return None
    try:
        return json_module.loads(raw)
    except ValueError:
        return _NOT_JSON


def _seconds(value: object) -> float | None:
    try:
        return max(0.0, float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class DiscordRest:
    def __init__(
        self,
        *,
        api_url: str,
        user_token: str,
        attempts: int = 6,
        timeout: float = 30.0,
        backoff: float = 0.5,
    ) -> None:
        self.api_url = api_url
        self._token = user_token
        self._attempts = attempts
        self._backoff = backoff  # seconds: the first wait of the exponential backoff
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        # Told of every 429 Discord answers (the bot's metrics count them).
        self.on_rate_limited: Callable[[], None] | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=self._timeout, headers={"User-Agent": USER_AGENT}
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("DiscordRest.start() was not called")
        return self._session

    def _retrying(self) -> AsyncRetrying:
        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Retry) and exc.retry_after is not None:
                return exc.retry_after
            return float(wait_exponential(multiplier=self._backoff, max=30)(state))

        return AsyncRetrying(
            retry=retry_if_exception_type(_RETRIED),
            wait=wait,
            stop=stop_after_attempt(self._attempts),
            reraise=True,
        )

    async def request(self, method: str, path: str, *, json: Any = None) -> Any:
        """Call the API; return the decoded JSON body (None for 204).

        Raises DiscordRateLimited or DiscordUnavailable once the retries are spent; a POST
        whose fate is unknown (a 5xx, a reset or a timeout on its last try: Discord may have
        acted on it) raises DiscordMaybeSent.
        """
        maybe_sent = False
        last: BaseException | None = None
        try:
            async for attempt in self._retrying():
                with attempt:
                    try:
                        return await self._once(method, path, json)
                    except _RETRIED as exc:
                        # Refused before it was read (429, no connection): certainly not acted
                        # on. Anything else may have reached Discord.
                        refused = isinstance(exc, aiohttp.ClientConnectorError) or (
                            isinstance(exc, _Retry) and exc.status == 429
                        )
                        maybe_sent = maybe_sent or not refused
                        raise
        except _RETRIED as exc:
            last = exc
        status = last.status if isinstance(last, _Retry) else None
        if isinstance(last, _Retry) and status == 429 and not maybe_sent:
            raise DiscordRateLimited(last.retry_after or 0) from None
        _log.warning(
            "Discord unavailable",
            extra={"path": path, "status": status, "error": type(last).__name__},
        )
        if maybe_sent and method != "GET":
            raise DiscordMaybeSent(status) from last
        raise DiscordUnavailable(status) from last

    async def _once(self, method: str, path: str, json: Any) -> Any:
        headers = {"Authorization": self._token}
        async with self.session.request(
            method, self.api_url + path, json=json, headers=headers
        ) as response:
            # The status first: Discord's edge answers 5xx (and some 429s) with an HTML or
            # plain-text page, which is no reason to fail a job.
            status = response.status
            if status == 204:
                return None
            if status >= 500:
                raise _Retry(status, _seconds(response.headers.get("Retry-After")))
            body = await _json_body(response)
            fields = body if isinstance(body, dict) else {}
            if status == 429:
                retry_after = _seconds(fields.get("retry_after"))
                if retry_after is None:
                    retry_after = _seconds(response.headers.get("Retry-After")) or 1.0
                scope = {"path": path, "retry_after": retry_after, "global": fields.get("global")}
                _log.warning("Discord rate limit", extra=scope)
                if self.on_rate_limited is not None:
                    self.on_rate_limited()
                raise _Retry(429, retry_after)
            if status >= 400:
                raise DiscordHTTPError(status, fields.get("code"), _error_message(fields))
            if body is _NOT_JSON:
                raise DiscordHTTPError(status, None, "Discord's answer was not JSON")
            return body if body is not None else {}

    async def post_interaction(self, payload: dict[str, Any]) -> None:
        await self.request("POST", "/interactions", json=payload)

    async def command_index(self, guild_id: str) -> list[dict[str, Any]]:
        body = await self.request("GET", f"/guilds/{guild_id}/application-command-index")
        return list(body.get("application_commands", []))

    async def channel_messages(self, channel_id: str, limit: int) -> list[dict[str, Any]]:
        return list(await self.request("GET", f"/channels/{channel_id}/messages?limit={limit}"))

    async def upload(self, channel_id: str, data: bytes, filename: str) -> str:
        """Put a file into Discord's upload storage; return its `upload_filename` (see
        docs/midjourney-on-the-wire.md#uploading-images)."""
        body = await self.request(
            "POST",
            f"/channels/{channel_id}/attachments",
            json={"files": [{"filename": filename, "file_size": len(data), "id": "0"}]},
        )
        slot = body["attachments"][0]
        content_type = "image/png" if filename.endswith(".png") else "image/jpeg"
        # The upload URL is pre-signed storage: it takes no Authorization header.
        async with self.session.put(
            slot["upload_url"], data=data, headers={"Content-Type": content_type}
        ) as response:
            if response.status >= 300:
                raise DiscordHTTPError(response.status, None, "upload failed")
        return str(slot["upload_filename"])

    async def post_attachment(self, channel_id: str, filename: str, uploaded: str) -> str:
        """Post an uploaded file as a channel message; return its CDN URL."""
        message = await self.request(
            "POST",
            f"/channels/{channel_id}/messages",
            json={
                "content": "",
                "channel_id": channel_id,
                "type": 0,
                "sticker_ids": [],
                "attachments": [{"id": "0", "filename": filename, "uploaded_filename": uploaded}],
            },
        )
        return str(message["attachments"][0]["url"])

    async def download(self, url: str) -> bytes:
        """A CDN file, retried like the API (429, 5xx, resets); DiscordUnavailable when the
        retries are spent, DiscordHTTPError when the CDN refuses it (e.g. 404)."""
        last: BaseException | None = None
        try:
            async for attempt in self._retrying():
                with attempt:
                    return await self._download_once(url)
        except _RETRIED as exc:
            last = exc
        status = last.status if isinstance(last, _Retry) else None
        _log.warning("CDN download failed", extra={"status": status})
        raise DiscordUnavailable(status) from last

    async def _download_once(self, url: str) -> bytes:
        # No Authorization header here: CDN URLs are signed, and the token must not leave the API.
        async with self.session.get(url) as response:
            if response.status == 429 or response.status >= 500:
                raise _Retry(response.status, _seconds(response.headers.get("Retry-After")))
            if response.status != 200:
                raise DiscordHTTPError(response.status, None, "image download failed")
            return await response.read()


def _error_message(body: dict[str, Any]) -> str:
    """Discord's message, plus the first nested error (e.g. 'This command is outdated')."""
    message = str(body.get("message", "error"))
    errors = body.get("errors")
    while isinstance(errors, dict):
        if "_errors" in errors:
            first = errors["_errors"][0]
            return f"{message}: {first.get('code')}: {first.get('message')}"
        errors = next(iter(errors.values()), None)
    return message

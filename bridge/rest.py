"""Discord REST with the Midjourney user account: interactions, command look-up, CDN downloads.

One aiohttp session for the client's life. 429 waits for Discord's retry_after (global or per
route) and 5xx backs off exponentially; both are retried, every other status is an error that
carries Discord's code. The token is sent to Discord's API only, never to the CDN.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bridge.errors import DiscordHTTPError, DiscordRateLimited

_log = logging.getLogger(__name__)

# Discord's web client sends a browser User-Agent; a library default stands out (formats a.1).
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


class _Retry(Exception):
    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after


_backoff = wait_exponential(multiplier=0.5, max=30)


def _wait(state: RetryCallState) -> float:
    """Discord's retry_after when it gave one, else exponential backoff."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _Retry) and exc.retry_after is not None:
        return exc.retry_after
    return _backoff(state)


class DiscordRest:
    def __init__(
        self,
        *,
        api_url: str,
        user_token: str,
        attempts: int = 6,
        timeout: float = 30.0,
    ) -> None:
        self.api_url = api_url
        self._token = user_token
        self._attempts = attempts
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

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

    async def request(self, method: str, path: str, *, json: Any = None) -> Any:
        """Call the API; return the decoded JSON body (None for 204)."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((_Retry, aiohttp.ClientConnectionError, TimeoutError)),
            wait=_wait,
            stop=stop_after_attempt(self._attempts),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, path, json)
        except _Retry as exc:
            if exc.status == 429:
                raise DiscordRateLimited(exc.retry_after or 0) from None
            raise DiscordHTTPError(exc.status, None, "Discord is unavailable") from None
        raise AssertionError("unreachable")

    async def _once(self, method: str, path: str, json: Any) -> Any:
        headers = {"Authorization": self._token}
        async with self.session.request(
            method, self.api_url + path, json=json, headers=headers
        ) as response:
            if response.status == 204:
                return None
            body = await response.json(content_type=None) if response.content_length != 0 else {}
            if response.status == 429:
                retry_after = float(
                    body.get("retry_after") or response.headers.get("Retry-After", 1)
                )
                _log.warning(
                    "Discord rate limit",
                    extra={"path": path, "retry_after": retry_after, "global": body.get("global")},
                )
                raise _Retry(429, retry_after)
            if response.status >= 500:
                raise _Retry(response.status)
            if response.status >= 400:
                raise DiscordHTTPError(response.status, body.get("code"), _error_message(body))
            return body

    async def post_interaction(self, payload: dict[str, Any]) -> None:
        await self.request("POST", "/interactions", json=payload)

    async def command_index(self, guild_id: str) -> list[dict[str, Any]]:
        body = await self.request("GET", f"/guilds/{guild_id}/application-command-index")
        return list(body.get("application_commands", []))

    async def channel_messages(self, channel_id: str, limit: int) -> list[dict[str, Any]]:
        return list(await self.request("GET", f"/channels/{channel_id}/messages?limit={limit}"))

    async def get_message(self, channel_id: str, message_id: str) -> dict[str, Any]:
        return dict(await self.request("GET", f"/channels/{channel_id}/messages/{message_id}"))

    async def upload(self, channel_id: str, data: bytes, filename: str) -> str:
        """Put a file into Discord's upload storage; return its `upload_filename` (a.7)."""
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
        # No Authorization header here: CDN URLs are signed, and the token must not leave the API.
        async with self.session.get(url) as response:
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

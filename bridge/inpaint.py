"""Vary (Region): the editor token from the gateway, and the mask sent to Midjourney's editor.

Pressing `MJ::Inpaint::1::<uuid>::SOLO` makes Discord open Midjourney's editor, a Discord
Activity: the user session gets a dispatch (INTERACTION_IFRAME_MODAL_CREATE) with the custom_id
`MJ::iframe::<token>`. Whatever the event's name, any dispatch that carries such a string
counts (other clients scan every dispatch for it). The mask and the prompt then go to the
Activity's host (DISCORD_ACTIVITY_URL), in one of two contracts
(docs/midjourney-on-the-wire.md#vary-region):
- newer (2026): POST {host}/.proxy/inpaint/api/submit-job/<token>, {"mask": WebP base64,
  "prompt"}, with the editor page as Origin and Referer;
- older (2024): POST {host}/inpaint/api/submit-job, {"customId": <token>, "mask": PNG base64,
  "prompt", "userId": "0", "username": "0"}.
Neither is documented, so the newer is tried first and the older after any refusal of it.
The mask is white where Midjourney redraws (inferred: no source says which way round).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import quote, urlencode

import aiohttp

from bridge.backend import Backend
from bridge.constants import MIDJOURNEY_APP_ID
from bridge.errors import BridgeError
from bridge.messages import IframeOpened
from bridge.rest import USER_AGENT
from storage.db import Database
from storage.jobs import get_job
from storage.masks import get_mask

_log = logging.getLogger(__name__)

DEFAULT_ACTIVITY_URL: Final = "https://936929561302675456.discordsays.com"
IFRAME_PREFIX: Final = "MJ::iframe::"
INPAINT_PREFIX: Final = "MJ::Inpaint::"
_DEPTH: Final = 6
_REASON_LIMIT: Final = 300


class InpaintRefused(BridgeError):
    """The editor host turned the mask down (both contracts), with its words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif depth < _DEPTH and isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif depth < _DEPTH and isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)


def parse_iframe(data: Mapping[str, Any]) -> IframeOpened | None:
    """The editor's custom_id anywhere in a dispatch, with the nonce/id when it has them."""
    custom_id = next((s for s in _strings(data) if s.startswith(IFRAME_PREFIX)), None)
    if custom_id is None or len(custom_id) == len(IFRAME_PREFIX):
        return None
    nonce = data.get("nonce")
    interaction_id = data.get("id")
    return IframeOpened(
        nonce=str(nonce) if nonce else None,
        interaction_id=str(interaction_id) if interaction_id else None,
        custom_id=custom_id,
    )


def editor_token(custom_id: str) -> str:
    return custom_id.removeprefix(IFRAME_PREFIX)


async def send_mask(*, db: Database, backend: Backend, job_id: int, custom_id: str) -> None:
    """The job's stored mask and prompt to the editor; InpaintRefused when it cannot be."""
    async with db.transaction() as session:
        job = await get_job(session=session, job_id=job_id)
        mask = await get_mask(session=session, job_id=job_id)
    if job is None or mask is None:
        raise InpaintRefused("no mask was painted for this job")
    await backend.inpaint(custom_id=custom_id, mask_png=mask, prompt=job.prompt)


def _webp(png: bytes) -> bytes:
    from PIL import Image  # Pillow only when a mask is sent

    with Image.open(io.BytesIO(png)) as image:
        out = io.BytesIO()
        image.convert("L").save(out, format="WEBP", lossless=True)
        return out.getvalue()


class ActivityClient:
    """The editor host's submit endpoints, with one aiohttp session for the client's life."""

    def __init__(self, *, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"User-Agent": USER_AGENT}
            )
        return self._session

    async def submit(
        self, *, custom_id: str, mask_png: bytes, prompt: str, channel_id: str, guild_id: str
    ) -> None:
        """Send the mask; InpaintRefused with the host's reason when both contracts fail."""
        token = editor_token(custom_id)
        try:
            await self._newer(token, custom_id, mask_png, prompt, channel_id, guild_id)
            return
        except InpaintRefused as exc:
            _log.info("newer inpaint contract refused, trying the older", extra={"why": str(exc)})
        await self._post(
            f"{self.base_url}/inpaint/api/submit-job",
            {
                "customId": token,
                "mask": base64.b64encode(mask_png).decode(),
                "prompt": prompt,
                "userId": "0",
                "username": "0",
            },
            {},
        )

    async def _newer(
        self,
        token: str,
        custom_id: str,
        mask_png: bytes,
        prompt: str,
        channel_id: str,
        guild_id: str,
    ) -> None:
        webp = await asyncio.to_thread(_webp, mask_png)
        instance = f"{channel_id}:{MIDJOURNEY_APP_ID}:{quote(custom_id, safe='')}"
        page = f"{self.base_url}/.proxy/inpaint/index.html?" + urlencode(
            {
                "instance_id": instance,
                "custom_id": custom_id,
                "channel_id": channel_id,
                "guild_id": guild_id,
                "platform": "desktop",
            }
        )
        await self._post(
            f"{self.base_url}/.proxy/inpaint/api/submit-job/{quote(token, safe='')}",
            {"mask": base64.b64encode(webp).decode(), "prompt": prompt},
            {"Origin": self.base_url, "Referer": page},
        )

    async def _post(self, url: str, body: dict[str, str], headers: dict[str, str]) -> None:
        try:
            async with self._open().post(url, json=body, headers=headers) as response:
                if 200 <= response.status < 300:  # any 2xx is success (#vary-region)
                    return
                text = (await response.text(errors="replace")).strip()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise InpaintRefused(f"editor unreachable: {type(exc).__name__}") from exc
        raise InpaintRefused(_reason(response.status, text))


def _reason(status: int, text: str) -> str:
    """The host's own words: a JSON error/message field, or the body's start."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error", "detail", "reason"):
            value = body.get(key)
            if isinstance(value, str) and value:
                text = value
                break
    return f"{status}: {text[:_REASON_LIMIT]}" if text else str(status)

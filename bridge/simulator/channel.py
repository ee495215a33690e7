"""What Midjourney's model needs from Discord, and how Midjourney's messages look there."""

from __future__ import annotations

from typing import Any, Protocol

from bridge.constants import MIDJOURNEY_APP_ID


class Channel(Protocol):
    """What the model needs from Discord."""

    def new_id(self) -> str: ...

    def put_cdn(self, filename: str, data: bytes, content_type: str = "image/png") -> str: ...

    def cdn_bytes(self, url: str) -> bytes | None:
        """What a link of this channel's CDN holds; None for any other link."""
        ...

    async def create_message(self, channel_id: str, data: dict[str, Any]) -> dict[str, Any]: ...

    async def update_message(self, message_id: str, changes: dict[str, Any]) -> dict[str, Any]: ...

    async def delete_message(self, message_id: str) -> None: ...

    async def dispatch(
        self, event: str, data: dict[str, Any], *, audience: str = "all"
    ) -> None: ...


MIDJOURNEY_AUTHOR: dict[str, Any] = {
    "id": MIDJOURNEY_APP_ID,
    "username": "Midjourney Bot",
    "discriminator": "9282",
    "avatar": None,
    "global_name": None,
    "bot": True,
}

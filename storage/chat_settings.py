"""Per-chat default Midjourney parameters (the `ChatSettings` table of storage.models)."""

from __future__ import annotations

from typing import Final

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChatSettings, utcnow

# The columns a chat may set; anything else is a programming error, not user input.
FIELDS: Final = frozenset({"version", "aspect", "stylize", "speed", "raw"})


async def get_chat_settings(*, session: AsyncSession, chat_id: int) -> ChatSettings:
    """The chat's settings; a fresh all-default row (not stored) when it never chose any."""
    found = await session.get(ChatSettings, chat_id)
    return found if found is not None else ChatSettings(chat_id=chat_id)


async def set_chat_setting(
    *,
    session: AsyncSession,
    chat_id: int,
    field: str,
    value: str | int | bool | None,
    user_id: int | None,
) -> ChatSettings:
    """Set one field (None clears it, False for raw) and return the stored row."""
    if field not in FIELDS:
        raise ValueError(f"unknown chat setting {field!r}")
    row = await session.get(ChatSettings, chat_id)
    if row is None:
        row = ChatSettings(chat_id=chat_id)
    setattr(row, field, bool(value) if field == "raw" else value)
    row.updated_by = user_id
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    return row


async def reset_chat_settings(*, session: AsyncSession, chat_id: int) -> None:
    """Back to Midjourney's own defaults."""
    row = await session.get(ChatSettings, chat_id)
    if row is not None:
        await session.delete(row)
        await session.flush()

"""Small named values the bridge must remember across restarts (e.g. that it is paused)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import _ts, utcnow


# One remembered value.
class BridgeState(SQLModel, table=True):
    key: str = Field(primary_key=True)
    value: str | None = None
    updated_at: datetime = _ts(default_factory=utcnow)


async def get_state(*, session: AsyncSession, key: str) -> str | None:
    row = await session.get(BridgeState, key)
    return row.value if row else None


async def set_state(*, session: AsyncSession, key: str, value: str | None) -> None:
    row = await session.get(BridgeState, key) or BridgeState(key=key)
    row.value = value
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()

"""Telegram updates already handled, so that one handed over again does nothing twice.

Telegram re-sends every update whose offset was not confirmed (after a restart, or failed
getUpdates calls) and keeps unconfirmed ones for 24 hours. An update is known by its id, and
by what it carries: a chat message (chat id and message id) or a callback query id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Table, delete
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import _ts, utcnow

# Longer than Telegram keeps an unconfirmed update.
MEMORY = timedelta(hours=25)


# One key of a handled update ("u<update id>", "m<chat id>:<message id>", "q<query id>").
class SeenUpdate(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=80)
    seen_at: datetime = _ts(default_factory=utcnow, index=True)


_SEEN: Table = SeenUpdate.__table__  # type: ignore[assignment]


async def seen(*, session: AsyncSession, keys: Sequence[str]) -> bool:
    """Whether any of the keys belongs to an update handled before."""
    rows = await session.exec(select(SeenUpdate.key).where(col(SeenUpdate.key).in_(keys)))
    return rows.first() is not None


async def remember(*, session: AsyncSession, keys: Sequence[str], strict: bool) -> None:
    """Record the keys. `strict`: a key seen before raises IntegrityError (the caller's
    transaction, e.g. a job's creation, must not happen twice); else it is skipped."""
    if not keys:
        return
    rows = [{"key": key, "seen_at": utcnow()} for key in keys]
    if strict:
        await session.exec(_SEEN.insert().values(rows))  # type: ignore[call-overload]
        return
    insert = sqlite_insert
    if session.bind.dialect.name == "postgresql":
        # Imported here: the PostgreSQL dialect is 2.4 MiB of RSS a SQLite bot never needs.
        from sqlalchemy.dialects.postgresql import insert
    statement = insert(_SEEN).values(rows).on_conflict_do_nothing(index_elements=["key"])
    await session.exec(statement)  # type: ignore[call-overload]


async def forget_before(*, session: AsyncSession, before: datetime | None = None) -> None:
    """Prune keys older than MEMORY (Telegram will not hand those updates over again)."""
    horizon = before or utcnow() - MEMORY
    await session.exec(delete(SeenUpdate).where(col(SeenUpdate.seen_at) < horizon))  # type: ignore[call-overload]

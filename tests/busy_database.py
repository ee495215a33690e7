"""A database whose only SQLite connection is held, as a long transaction elsewhere would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from storage.db import Database


@asynccontextmanager
async def database_busy(db: Database) -> AsyncIterator[None]:
    """Hold the connection in a transaction of its own until the block ends."""
    held, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with db.transaction() as session:
            await session.connection()
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    try:
        yield
    finally:
        release.set()
        await holder

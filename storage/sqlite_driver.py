"""SQLAlchemy's aiosqlite adapter, with one trip to aiosqlite's thread per statement.

aiosqlite runs every call on its sqlite3 connection in a thread of its own, and each call waits
for the event loop to pick its answer up. SQLAlchemy's adapter makes three or four such calls
per statement (make a cursor, execute, fetch the rows, close the cursor). With one connection
serialising every transaction of the process, those waits were most of what a job's
bookkeeping cost, and they queue behind whatever else the loop is doing (moving 2 MB pictures).
Here a statement makes its cursor, runs, reads every row and closes in one call: 1 trip
instead of 3 (UPDATE) or 4 (SELECT); commit and rollback stay one trip each.

Only the plain cursor changes; server-side cursors (`stream()`, unused here) are SQLAlchemy's.
Pass `module=DBAPI` to `create_async_engine` with a `sqlite+aiosqlite` URL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, *, many: bool) -> _Outcome:
    """In aiosqlite's thread: the whole statement, and everything SQLAlchemy reads after it."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _StatementCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy's adapter uses, holding one statement's
    outcome; only `execute` and `executemany` go to the thread."""

    __slots__ = ("_driver", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, driver: aiosqlite.Connection) -> None:
        self._driver = driver
        self._rows: list[Any] = []
        self.arraysize = 1
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def _statement(self, sql: str, parameters: Any, *, many: bool) -> _StatementCursor:
        # aiosqlite's private `_execute` is how its own Cursor reaches the thread (0.21-0.22).
        outcome: _Outcome = await self._driver._execute(
            _run, self._driver._conn, sql, parameters, many=many
        )
        self.description, self._rows, self.rowcount, self.lastrowid = outcome
        return self

    async def execute(self, sql: str, parameters: Any = None) -> _StatementCursor:
        return await self._statement(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> _StatementCursor:
        return await self._statement(sql, parameters, many=True)

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def close(self) -> None:
        self._rows = []


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    _awaitable_cursor_close = False  # closing is no trip: the statement closed its cursor

    def _make_new_cursor(self, connection: Any) -> Any:
        return _StatementCursor(connection)

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor  # nothing to enter: making it was no trip either


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _Cursor


class _Dbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *args: Any, **kwargs: Any) -> _Connection:
        driver = aiosqlite.connect(*args, **kwargs)
        driver._thread.daemon = True  # as SQLAlchemy's adapter does: never holds up the exit
        return _Connection(self, await_(driver))


DBAPI = _Dbapi(aiosqlite, sqlite3)

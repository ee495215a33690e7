"""The async engine, transactions, and the schema (created or migrated with Alembic at start).

At start (`async with Database(url)`) the schema is brought up to date in one transaction:

- an empty database gets the tables straight from the models (`SQLModel.metadata.create_all`)
  and is stamped with the newest Alembic revision, as if every migration had run;
- a database that has an `alembic_version` table is upgraded (`alembic upgrade head`);
- a database made before Alembic (tables but no `alembic_version`) is upgraded as well: the
  first revision creates only the tables it lacks, and later revisions run as usual.

On Postgres an advisory lock makes bot processes that start together take turns.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    String,
    Table,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import PoolResetState
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import models, state, updates  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.sqlite_driver import DBAPI as SQLITE_DBAPI

if TYPE_CHECKING:
    from alembic.config import Config

_log = logging.getLogger(__name__)

# Postgres pool: enough for the dispatcher's slots, delivery and handlers running at once,
# while several bot processes stay well inside the server's default max_connections (100).
POSTGRES_POOL: Final = {
    "pool_size": 10,
    "max_overflow": 10,
    "pool_timeout": 30,
    "pool_pre_ping": True,  # a restarted server or a proxy that dropped idle connections
    "pool_recycle": 1800,
}

# The newest revision in migrations/versions (tests/test_migrations.py checks it is the head).
SCHEMA_REVISION: Final = "0009"
# Alembic's own bookkeeping table, as it creates it.
_VERSION: Final = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), primary_key=True),
)

# pg_advisory_xact_lock key held while the schema is created or migrated ("mj-schema").
SCHEMA_LOCK: Final = 0x6D6A2D736368656D


def postgres_url(*, host: str, port: int, user: str, password: str | None, database: str) -> str:
    """An asyncpg URL from its parts, every part escaped (a password with @ : / % works)."""
    url = URL.create(
        "postgresql+asyncpg",
        username=user,
        password=password,
        host=host,
        port=port,
        database=database,
    )
    return url.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while a writer commits; NORMAL sync is safe under WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _rollback_if_open(dbapi_connection: Any, _record: Any, reset: PoolResetState) -> None:
    # Replaces the pool's rollback on return, which costs a round trip to aiosqlite's thread
    # after every commit: only what a failed or cancelled transaction left open is rolled
    # back (in_transaction reads SQLite's autocommit flag, no round trip).
    if (
        reset.asyncio_safe
        and not reset.terminate_only
        and dbapi_connection.driver_connection.in_transaction
    ):
        dbapi_connection.rollback()


class Database:
    """Owns the engine; `transaction()` is the only way code touches tables."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.is_postgres = url.startswith("postgresql")
        options: dict[str, Any] = {}
        if self.is_sqlite:
            # One connection serialises every transaction of this process, so quota checks and
            # job transitions never interleave (SQLite has a single writer anyway).
            options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60}
            options["pool_reset_on_return"] = None  # see _rollback_if_open
            if url.startswith("sqlite+aiosqlite"):
                options["module"] = SQLITE_DBAPI  # one thread trip per statement
            path = url.split(":///", 1)[1] if ":///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        elif self.is_postgres:
            options = dict(POSTGRES_POOL)
        options.update(engine_options)
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine.pool, "reset", _rollback_if_open)
        # SQLite's one connection makes transactions take turns. Waiting for the turn before
        # the session exists costs a waiter a future rather than a session: a burst of a
        # thousand /imagine commands kept some 250 sessions waiting for the connection
        # (bench: RSS with 1,000 jobs queued, 123 -> 118 MiB).
        self._turns = asyncio.Semaphore(1) if self.is_sqlite else None
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    async def migrate(self) -> str:
        """Create or upgrade the schema; returns "created", "upgraded" or "current"."""
        try:
            async with self.engine.begin() as conn:
                outcome = await conn.run_sync(prepare_schema)
        finally:
            if self.is_sqlite:
                # prepare_schema turns them off to upgrade; SQLite switches them outside a
                # transaction only.
                async with self.engine.connect() as conn:
                    await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        _log.info("database schema %s", outcome)
        return outcome

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on exit, rolled back on error."""
        async with self._turns or nullcontext(), self._sessions() as session, session.begin():
            yield session

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        try:
            await self.migrate()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


# ---------------------------------------------------------------- locks


async def lock_chat_quota(session: AsyncSession, chat_id: int) -> None:
    """Make quota reservations of one chat take turns until this transaction ends.

    Postgres runs transactions side by side (READ COMMITTED), so two reservations could both
    count the same used units and overdraw; a transaction-level advisory lock keyed by the chat
    stops that, and is released by the commit or rollback. On SQLite one connection already
    serialises every transaction, so there is nothing to do.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = func.hashtextextended(f"quota:{chat_id}", 0)
        await session.exec(select(func.pg_advisory_xact_lock(key)))


# ---------------------------------------------------------------- schema


@functools.cache
def app_metadata() -> MetaData:
    """The application's tables: those defined by the modules of the `storage` package.

    Every storage module is imported first, so a table is known wherever it is defined. Tables
    that tests define on SQLModel.metadata are left out: migrations describe the app only.
    Made once a process: copying the tables costs tens of milliseconds, at every start.
    """
    import storage

    for module in pkgutil.iter_modules(storage.__path__):
        importlib.import_module(f"storage.{module.name}")
    names = {
        mapper.local_table.name
        for mapper in SQLModel._sa_registry.mappers
        if mapper.class_.__module__.partition(".")[0] == "storage"
    }
    metadata = MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.sorted_tables:
        if table.name in names:
            table.to_metadata(metadata)
    return metadata


def migrations_dir() -> Path:
    """The Alembic script directory (the `migrations` package, installed with the app)."""
    import migrations

    return Path(migrations.__file__).parent


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration without alembic.ini; `connection` is used instead of a URL."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def prepare_schema(connection: Connection) -> str:
    """Create (empty database) or upgrade the schema on this connection, in its transaction;
    returns "created", "upgraded" or "current".

    Alembic (tens of MiB once imported) is loaded only when there is something to migrate.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
    existing = set(inspect(connection).get_table_names())
    metadata = app_metadata()
    if "alembic_version" in existing:
        version = connection.execute(select(_VERSION.c.version_num)).scalar()
        if version == SCHEMA_REVISION:
            return "current"
    elif not existing & set(metadata.tables):
        metadata.create_all(connection)
        # What `alembic stamp head` would write.
        _VERSION.create(connection)
        connection.execute(_VERSION.insert().values(version_num=SCHEMA_REVISION))
        return "created"
    from alembic import command

    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode changes a column by copying its table (0009), and dropping the old copy
        # of a table that others point at fails while foreign keys are on. SQLite switches
        # them only outside a transaction, and this one has written nothing yet (pysqlite
        # begins at the first write); Database.migrate turns them on again.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    command.upgrade(alembic_config(connection), "head")
    if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").first()):
        raise RuntimeError(f"the upgrade broke a foreign key: {tuple(broken)}")
    return "upgraded"

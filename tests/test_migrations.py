"""Alembic migrations reproduce the models, and every kind of database comes up to date."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from storage.db import SCHEMA_REVISION, Database, alembic_config, app_metadata, head_revision


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, app_metadata()))


def _version(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_the_migrations_alone_build_the_schema_of_the_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
            assert await conn.run_sync(_differences) == []
            assert await conn.run_sync(_version) == head_revision()
    finally:
        await db.aclose()


async def test_a_new_database_is_created_and_stamped(database_url: str) -> None:
    async with Database(database_url) as db, db.engine.connect() as conn:
        assert await conn.run_sync(_version) == head_revision()
        assert await conn.run_sync(_differences) == []


async def test_a_database_from_before_alembic_is_adopted(database_url: str) -> None:
    # What create_all made before Alembic: the first revision's tables, minus one added later
    # (chat settings), and no alembic_version table.
    old = Database(database_url)
    async with old.engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0001"))
        await conn.exec_driver_sql("DROP TABLE alembic_version")
        await conn.exec_driver_sql("DROP TABLE chatsettings")
    await old.aclose()

    async with Database(database_url) as db:
        assert await db.migrate() == "current"  # the start migrated already
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_version) == head_revision()
            assert await conn.run_sync(_differences) == []


async def test_an_older_database_gets_the_new_columns(database_url: str) -> None:
    old = Database(database_url)
    async with old.engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0001"))
        await conn.exec_driver_sql(
            "INSERT INTO chat (id, type, created_at) VALUES (5, 'private', '2026-11-01')"
        )
    await old.aclose()

    async with Database(database_url) as db, db.engine.connect() as conn:
        assert await conn.run_sync(_version) == head_revision()
        columns = await conn.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("job")}
        )
        assert "account" in columns
        assert (await conn.exec_driver_sql("SELECT count(*) FROM chat")).scalar() == 1


def test_the_revision_the_start_checks_for_is_alembics_head() -> None:
    assert head_revision() == SCHEMA_REVISION

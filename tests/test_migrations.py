"""Alembic migrations reproduce the models, and every kind of database comes up to date."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlmodel import col, select

from storage.db import SCHEMA_REVISION, Database, alembic_config, app_metadata, head_revision
from storage.models import ButtonToken, Job, JobKind


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


async def test_every_kind_of_job_survives_the_kind_becoming_a_plain_string(
    database_url: str,
) -> None:
    """0009: jobs of every kind, with rows that point at them, come through; afterwards a kind
    unknown to the old ENUM type is stored too, which is what spares a new kind a migration."""
    old = Database(database_url)
    async with old.engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0006"))
    async with old.engine.begin() as conn:  # PostgreSQL: an ENUM's new value, once committed
        await conn.exec_driver_sql(
            "INSERT INTO chat (id, type, created_at) VALUES (5, 'private', '2026-11-01')"
        )
        for job_id, kind in enumerate(JobKind, 1):
            await conn.exec_driver_sql(
                "INSERT INTO job (id, chat_id, language, kind, prompt, target_flags, cost, status,"
                " result_flags, created_at, updated_at, parent_job_id) VALUES"
                f" ({job_id}, 5, 'en', '{kind.name}', 'a {kind}', 0, 1, 'SUCCEEDED', 0,"
                f" '2026-11-01', '2026-11-01', {1 if job_id > 1 else 'NULL'})"
            )
            await conn.exec_driver_sql(
                "INSERT INTO buttontoken (token, chat_id, job_id, action, label, created_at)"
                f" VALUES ('t{job_id}', 5, {job_id}, 'mj', '', '2026-11-01')"
            )
    await old.aclose()

    async with Database(database_url) as db:
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_version) == head_revision()
            assert await conn.run_sync(_differences) == []
        async with db.transaction() as session:
            jobs = (await session.exec(select(Job).order_by(col(Job.id)))).all()
            assert [(job.kind, job.prompt) for job in jobs] == [(k, f"a {k}") for k in JobKind]
            tokens = (await session.exec(select(ButtonToken))).all()
            assert len(tokens) == len(JobKind)
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("UPDATE job SET kind = 'A_KIND_FROM_LATER' WHERE id = 1")
            if conn.dialect.name == "postgresql":
                found = await conn.exec_driver_sql(
                    "SELECT 1 FROM pg_type WHERE typname = 'jobkind'"
                )
                assert found.first() is None

"""Alembic environment: the app's tables (storage.db.app_metadata) on DATABASE_URL.

Two ways in:
- the bot at start (storage.db.prepare_schema) hands over its open connection in
  `config.attributes["connection"]`, already inside a transaction;
- the `alembic` command line builds an async engine from `-x url=...`, else the DATABASE_URL
  environment variable, else DATABASE_URL in ./.env, else POSTGRES_HOST and its parts (as
  compose.yaml gives them), else the bot's default SQLite file.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from dotenv import dotenv_values
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import SCHEMA_LOCK, app_metadata, postgres_url

DEFAULT_URL = "sqlite+aiosqlite:///./data/bot.db"

config = context.config
if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = app_metadata()


def database_url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("DATABASE_URL")
        or dotenv_values(".env").get("DATABASE_URL")
        or _from_parts()
        or DEFAULT_URL
    )


def _from_parts() -> str | None:
    """The bot's POSTGRES_* settings, as compose.yaml gives them (bot/settings.py)."""
    host = os.environ.get("POSTGRES_HOST")
    if not host:
        return None
    password = os.environ.get("POSTGRES_PASSWORD")
    secret = Path(os.environ.get("SECRETS_DIR") or "/run/secrets") / "postgres_password"
    if not password and secret.is_file():
        password = secret.read_text().strip()
    return postgres_url(
        host=host,
        port=int(os.environ.get("POSTGRES_PORT") or 5432),
        user=os.environ.get("POSTGRES_USER") or "mj",
        password=password,
        database=os.environ.get("POSTGRES_DB") or "mj",
    )


def configure(**options: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        **options,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    url = database_url()
    configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    # SQLite cannot ALTER most things: batch mode copies the table instead.
    configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Processes that migrate at once take turns (re-entrant for the bot's own lock).
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_on)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
elif (connection := config.attributes.get("connection")) is not None:
    run_on(connection)
else:
    asyncio.run(run_async_migrations())

"""The job kind is a plain string column (a non-native enum), no longer PostgreSQL's ENUM type,
so that a new kind (a new Midjourney command) needs no migration of its own.

The stored values stay the members' names ('IMAGINE', 'VIDEO', ...). PostgreSQL converts the
column in place and drops the jobkind type. SQLite's column was a VARCHAR as long as the longest
name already; only its declared length changes (batch mode copies the table).

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The kinds as of 0006, for the way back.
KINDS = ("IMAGINE", "ACTION", "DESCRIBE", "BLEND", "SHORTEN", "VIDEO", "INFO", "FAST", "RELAX")
LENGTH = 32  # storage/models.py KIND_LENGTH


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgres():
        op.execute(f"ALTER TABLE job ALTER COLUMN kind TYPE VARCHAR({LENGTH}) USING kind::text")
        op.execute("DROP TYPE jobkind")
        return
    with op.batch_alter_table("job") as batch:
        batch.alter_column(
            "kind",
            existing_type=sa.Enum(*KINDS, name="jobkind"),
            type_=sa.String(LENGTH),
            existing_nullable=False,
        )


def downgrade() -> None:
    # Fails on a row whose kind came after 0006: that kind has no place in the old type.
    if _postgres():
        names = ", ".join(f"'{name}'" for name in KINDS)
        op.execute(f"CREATE TYPE jobkind AS ENUM ({names})")
        op.execute("ALTER TABLE job ALTER COLUMN kind TYPE jobkind USING kind::jobkind")
        return
    with op.batch_alter_table("job") as batch:
        batch.alter_column(
            "kind",
            existing_type=sa.String(LENGTH),
            type_=sa.Enum(*KINDS, name="jobkind"),
            existing_nullable=False,
        )

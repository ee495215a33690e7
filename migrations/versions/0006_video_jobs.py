"""Video jobs (Animate, Extend, prompt videos) are a job kind of their own, with their own cost.

Enums are stored by member name. On SQLite the column is a VARCHAR as long as the longest
name, which "VIDEO" fits; PostgreSQL's native ENUM type needs the new value.

Revision ID: 0006
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TYPE jobkind ADD VALUE IF NOT EXISTS 'VIDEO'")


def downgrade() -> None:
    # PostgreSQL cannot drop a value from an ENUM type; an unused extra value is harmless.
    pass

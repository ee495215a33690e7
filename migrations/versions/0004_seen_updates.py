"""Telegram updates already handled, so that one handed over again does nothing twice.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seenupdate",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(op.f("ix_seenupdate_seen_at"), "seenupdate", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_seenupdate_seen_at"), table_name="seenupdate")
    op.drop_table("seenupdate")

"""A chat's chosen language (/settings) and the name of who asked for a job (group captions).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat") as batch:
        batch.add_column(sa.Column("language", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table("job") as batch:
        batch.add_column(
            sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_column("requested_by")
    with op.batch_alter_table("chat") as batch:
        batch.drop_column("language")

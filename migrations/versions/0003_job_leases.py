"""Jobs belong to a bot process while its lease lasts; a result message belongs to one job.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_job_owner"), ["owner"], unique=False)
        batch.create_index(batch.f("ix_job_result_message_id"), ["result_message_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_index(batch.f("ix_job_result_message_id"))
        batch.drop_index(batch.f("ix_job_owner"))
        batch.drop_column("lease_until")
        batch.drop_column("owner")

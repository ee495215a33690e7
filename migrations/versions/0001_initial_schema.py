"""Initial schema: the tables as the models stood when Alembic was adopted.

A database made before Alembic (by `create_all`, with no `alembic_version` table) is adopted by
this revision: it creates only the tables that database lacks and keeps the ones it has.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Telegram ids exceed 32 bits: every chat and user id is a BIGINT.
# Enums are stored by member name; on Postgres they are native ENUM types, so a new member
# needs `ALTER TYPE ... ADD VALUE` in a migration (docs/migrations.md#enum-values-on-postgresql).
JOB_KIND = ("IMAGINE", "ACTION", "DESCRIBE", "BLEND", "SHORTEN", "INFO", "FAST", "RELAX")
JOB_STATUS = ("PREPARING", "QUEUED", "SUBMITTED", "RUNNING", "SUCCEEDED", "FAILED")
QUOTA_STATE = ("RESERVED", "CHARGED", "REFUNDED")
ENUM_TYPES = ("jobkind", "jobstatus", "quotastate")


def _text(length: int | None = None) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())

    def create(name: str, *elements: sa.SchemaItem, indexes: Sequence[str] = ()) -> None:
        if name in existing:  # adopted from a database made before Alembic
            return
        op.create_table(name, *elements)
        for column in indexes:
            op.create_index(op.f(f"ix_{name}_{column}"), name, [column], unique=False)

    create(
        "bridgestate",
        sa.Column("key", _text(), nullable=False),
        sa.Column("value", _text(), nullable=True),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    create(
        "chat",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("type", _text(), nullable=False),
        sa.Column("title", _text(), nullable=True),
        sa.Column("allowed", sa.Boolean(), nullable=True),
        sa.Column("daily_quota", sa.Integer(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    create(
        "chatsettings",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("version", _text(), nullable=True),
        sa.Column("aspect", _text(), nullable=True),
        sa.Column("stylize", sa.Integer(), nullable=True),
        sa.Column("speed", _text(), nullable=True),
        sa.Column("raw", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    create(
        "deniednotice",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    create(
        "member",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("banned", sa.Boolean(), nullable=False),
        sa.Column("daily_quota", sa.Integer(), nullable=True),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "user_id"),
    )
    create(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("language", _text(), nullable=False),
        sa.Column("kind", sa.Enum(*JOB_KIND, name="jobkind"), nullable=False),
        sa.Column("prompt", _text(), nullable=False),
        sa.Column("label", _text(), nullable=True),
        sa.Column("custom_id", _text(), nullable=True),
        sa.Column("parent_job_id", sa.Integer(), nullable=True),
        sa.Column("target_message_id", _text(), nullable=True),
        sa.Column("target_flags", sa.Integer(), nullable=False),
        sa.Column("modal_text", _text(), nullable=True),
        sa.Column("images", sa.JSON(), nullable=True),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("request_message_id", sa.Integer(), nullable=True),
        sa.Column("status_message_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Enum(*JOB_STATUS, name="jobstatus"), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=True),
        sa.Column("nonce", _text(), nullable=True),
        sa.Column("progress_message_id", _text(), nullable=True),
        sa.Column("interaction_id", _text(), nullable=True),
        sa.Column("result_message_id", _text(), nullable=True),
        sa.Column("result_flags", sa.Integer(), nullable=False),
        sa.Column("result_hash", _text(), nullable=True),
        sa.Column("result_url", _text(), nullable=True),
        sa.Column("result_filename", _text(), nullable=True),
        sa.Column("result_kind", _text(), nullable=True),
        sa.Column("buttons", sa.JSON(), nullable=True),
        sa.Column("texts", sa.JSON(), nullable=True),
        sa.Column("error_kind", _text(), nullable=True),
        sa.Column("error", _text(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.Column("finished_at", _when(), nullable=True),
        sa.Column("delivered_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(["parent_job_id"], ["job.id"]),
        sa.PrimaryKeyConstraint("id"),
        indexes=("chat_id", "nonce", "status"),
    )
    create(
        "buttontoken",
        sa.Column("token", _text(16), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("action", _text(), nullable=False),
        sa.Column("custom_id", _text(), nullable=True),
        sa.Column("label", _text(), nullable=False),
        sa.Column("text", _text(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("used_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"]),
        sa.PrimaryKeyConstraint("token"),
        indexes=("chat_id", "job_id"),
    )
    create(
        "pendingreply",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("custom_id", _text(), nullable=False),
        sa.Column("label", _text(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"]),
        sa.PrimaryKeyConstraint("chat_id", "message_id"),
    )
    create(
        "quotaentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("day", _text(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("state", sa.Enum(*QUOTA_STATE, name="quotastate"), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("settled_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id"),
        indexes=("chat_id", "day", "user_id"),
    )


def downgrade() -> None:
    for name in (
        "quotaentry",
        "pendingreply",
        "buttontoken",
        "job",
        "member",
        "deniednotice",
        "chatsettings",
        "chat",
        "bridgestate",
    ):
        op.drop_table(name)  # its indexes go with it
    if op.get_bind().dialect.name == "postgresql":
        for name in ENUM_TYPES:
            op.execute(f"DROP TYPE IF EXISTS {name}")

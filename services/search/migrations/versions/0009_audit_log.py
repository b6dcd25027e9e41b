"""the audit log: configuration changes and personal-data accesses

Revision ID: 0009
Revises: 0008

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.sqltypes

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

When = services.common.sqltypes.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("by", sa.String(length=150), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("effective_at", When, nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("ticket_id", sa.String(length=64), nullable=True),
        sa.Column("ticket_number", sa.String(length=32), nullable=True),
        sa.Column("producer", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at", "event_id"])
    op.create_index("ix_audit_log_kind_key", "audit_log", ["kind", "key", "at"])
    op.create_index("ix_audit_log_by", "audit_log", ["by", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_by", table_name="audit_log")
    op.drop_index("ix_audit_log_kind_key", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")

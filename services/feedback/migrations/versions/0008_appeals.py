"""appeals: departments' appeals (申诉) and every step of them

Revision ID: 0008
Revises: 0007

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.sqltypes import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "appeals",
        sa.Column("appeal_id", sa.String(32), primary_key=True),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("department_code", sa.String(32), nullable=False),
        sa.Column("assignment_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filed_by", sa.String(100), nullable=False),
        sa.Column("filed_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_appeals_ticket_department", "appeals", ["ticket_id", "department_code", "status"]
    )
    op.create_index("ix_appeals_status_filed", "appeals", ["status", "filed_at"])
    op.create_index(
        "uq_appeals_pending",
        "appeals",
        ["ticket_id", "department_code", "kind"],
        unique=True,
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )
    op.create_table(
        "appeal_steps",
        sa.Column("step_id", sa.String(32), primary_key=True),
        sa.Column("appeal_id", sa.String(32), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("at", UtcDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_appeal_steps_appeal_id", "appeal_steps", ["appeal_id"])


def downgrade() -> None:
    op.drop_table("appeal_steps")
    op.drop_table("appeals")

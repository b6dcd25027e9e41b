"""working time and notices: each clock's basis, imported holiday years, departments' duty
contacts and the notices sent to them

Clocks already running keep their deadlines: those counting working days become
`working_days` (whole days), the others `natural`; only new clocks count working hours.

Revision ID: 0008
Revises: 0007

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.messaging_tables import BigId
from services.common.sqltypes import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("basis", sa.String(length=12), server_default="natural", nullable=False)
        )
    op.execute("UPDATE clocks SET basis = 'working_days' WHERE working_days")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notice_channel", sa.String(length=10), server_default="none", nullable=False)
        )
        batch_op.add_column(sa.Column("duty_phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("webhook_url", sa.String(length=500), nullable=True))
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("holidays", sa.Text(), nullable=False),
        sa.Column("workdays", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "calendar_changes",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_calendar_changes_year", "calendar_changes", ["year"], unique=False)
    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("assignment_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_number", sa.String(length=32), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("clock", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assignment_id", "clock", "kind", name="uq_notice"),
    )
    op.create_index("ix_notices_due", "notices", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_notices_due", table_name="notices")
    op.drop_table("notices")
    op.drop_index("ix_calendar_changes_year", table_name="calendar_changes")
    op.drop_table("calendar_changes")
    op.drop_table("calendar_years")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_column("webhook_url")
        batch_op.drop_column("duty_phone")
        batch_op.drop_column("notice_channel")
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_column("basis")

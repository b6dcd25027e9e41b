"""dispatch suggestions: what intake's suggester read, and what the dispatcher did with it

Revision ID: 0014
Revises: 0013

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.sqltypes import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("suggested_category", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("suggestion_confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("suggestion_model_version", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("suggestion_words", sa.Text(), server_default="[]", nullable=False)
        )
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(
            sa.Column("suggestion", sa.String(length=10), server_default="", nullable=False)
        )
    op.create_table(
        "suggestion_decisions",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("category_code", sa.String(length=12), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("chosen_department", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_index("ix_suggestion_decisions_at", "suggestion_decisions", ["at"])


def downgrade() -> None:
    op.drop_index("ix_suggestion_decisions_at", table_name="suggestion_decisions")
    op.drop_table("suggestion_decisions")
    with op.batch_alter_table("assignments") as batch:
        batch.drop_column("suggestion")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("suggestion_words")
        batch.drop_column("suggestion_confidence")
        batch.drop_column("suggestion_model_version")
        batch.drop_column("suggested_category")

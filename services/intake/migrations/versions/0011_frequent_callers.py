"""frequent callers: requests per caller per day

Revision ID: 0011
Revises: 0010

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("frequent_caller", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_index("ix_calls_caller_key_taken_at", "calls", ["caller_key", "taken_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_caller_key_taken_at", table_name="calls")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("frequent_caller")

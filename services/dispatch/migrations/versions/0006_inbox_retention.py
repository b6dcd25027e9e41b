"""index the inbox by processed_at, for its retention purge

Revision ID: 0006
Revises: 0005

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_inbox_processed_at", table_name="inbox")

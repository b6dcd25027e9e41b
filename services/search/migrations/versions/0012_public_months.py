"""published months: each closed month's public figures with its sealed root

Revision ID: 0012
Revises: 0011

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.sqltypes import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "public_months",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("published_at", UtcDateTime, nullable=False),
        sa.Column("root", sa.String(64)),
    )


def downgrade() -> None:
    op.drop_table("public_months")

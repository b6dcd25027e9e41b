"""hot-spot notices to dispatchers and territorial departments

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
        "hotspot_alarms",
        sa.Column("alarm_id", sa.String(32), primary_key=True),
        sa.Column("category_code", sa.String(32), nullable=False),
        sa.Column("category_name", sa.String(200), nullable=True),
        sa.Column("area_code", sa.String(32), nullable=False),
        sa.Column("area_name", sa.String(200), nullable=True),
        sa.Column("department_code", sa.String(32), nullable=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("raised_at", UtcDateTime, nullable=False),
        sa.Column("cleared_at", UtcDateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("hotspot_alarms")

"""hot-spot alarms: each crossing of a threshold, raised once and acknowledged

Revision ID: 0010
Revises: 0009

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.sqltypes import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hotspot_alarms",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("spot_key", sa.String(80), nullable=False),
        sa.Column("crossing", sa.Integer, nullable=False),
        sa.Column("category_code", sa.String(32), nullable=False),
        sa.Column("area_code", sa.String(32), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("expected", sa.Float, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("raised_at", UtcDateTime, nullable=False),
        sa.Column("cleared_at", UtcDateTime),
        sa.Column("acknowledged_by", sa.String(150)),
        sa.Column("acknowledged_at", UtcDateTime),
        sa.UniqueConstraint("spot_key", "crossing", name="uq_hotspot_alarm_crossing"),
    )
    op.create_index("ix_hotspot_alarms_open", "hotspot_alarms", ["cleared_at", "spot_key"])
    op.create_table(
        "hotspot_pending",
        sa.Column("spot_key", sa.String(80), primary_key=True),
        sa.Column("since", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hotspot_pending")
    op.drop_index("ix_hotspot_alarms_open", table_name="hotspot_alarms")
    op.drop_table("hotspot_alarms")

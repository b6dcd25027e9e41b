"""photos: stored re-encoded, with their thumbnails

Revision ID: 0007
Revises: 0006

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.sqltypes

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = services.common.sqltypes.UtcDateTime(timezone=True)
_UNATTACHED = sa.text("ticket_id IS NULL")


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("attached_at", _UTC, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_photos_ticket_id", "photos", ["ticket_id"], unique=False)
    op.create_index(
        "ix_photos_unattached_created_at",
        "photos",
        ["created_at"],
        unique=False,
        sqlite_where=_UNATTACHED,
        postgresql_where=_UNATTACHED,
    )


def downgrade() -> None:
    op.drop_index("ix_photos_unattached_created_at", table_name="photos")
    op.drop_index("ix_photos_ticket_id", table_name="photos")
    op.drop_table("photos")

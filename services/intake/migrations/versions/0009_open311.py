"""Open311: registered client applications and their keys

City apps post requests with a key of their own (stored only as its SHA-256); tickets keep
the lead department's reply, the expected time, and where an app said the problem is.

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

_UTC = services.common.sqltypes.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_notes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("expected_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("media_url", sa.String(length=1000), nullable=True))
        batch_op.create_index("ix_tickets_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_tickets_category_created_at", ["category_code", "created_at"], unique=False
        )
    op.create_table(
        "open311_clients",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("contact", sa.String(length=200), server_default="", nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_hint", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("revoked_at", _UTC, nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
        sa.UniqueConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("open311_clients")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_category_created_at")
        batch_op.drop_index("ix_tickets_created_at")
        for column in ("media_url", "lon", "lat", "expected_at", "status_notes"):
            batch_op.drop_column(column)

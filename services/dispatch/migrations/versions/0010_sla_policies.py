"""SLA policies in the database, versioned

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

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sla_policies",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("acknowledge_hours", sa.Float(), nullable=False),
        sa.Column("acknowledge_time", sa.String(length=8), nullable=False),
        sa.Column("contact_hours", sa.Float(), nullable=False),
        sa.Column("contact_time", sa.String(length=8), nullable=False),
        sa.Column("resolve_hours", sa.Float(), nullable=False),
        sa.Column("resolve_time", sa.String(length=8), nullable=False),
        sa.Column("warn_share", sa.Float(), nullable=False),
        sa.Column("max_extension_hours", sa.Float(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "sla_categories",
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("policy", sa.String(length=40), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("prefix"),
    )
    op.create_table(
        "sla_changes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("effective_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("sla_changes")
    op.drop_table("sla_categories")
    op.drop_table("sla_policies")

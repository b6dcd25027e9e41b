"""a category's SLA policy may be for one urgency only

Revision ID: 0013
Revises: 0012

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.sqltypes import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "prefix, urgency, policy, updated_by, updated_at"


def _table(name: str, with_urgency: bool) -> None:
    keys = ["prefix", "urgency"] if with_urgency else ["prefix"]
    urgency = [sa.Column("urgency", sa.String(length=16), server_default="", nullable=False)]
    op.create_table(
        name,
        sa.Column("prefix", sa.String(length=12), nullable=False),
        *(urgency if with_urgency else []),
        sa.Column("policy", sa.String(length=40), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(*keys),
    )


def upgrade() -> None:
    # The primary key gains a column: a new table, filled, then put in the old one's place
    # (the same on SQLite and PostgreSQL).
    _table("sla_categories_new", with_urgency=True)
    op.execute(
        f"INSERT INTO sla_categories_new ({COLUMNS}) "
        "SELECT prefix, '', policy, updated_by, updated_at FROM sla_categories"
    )
    op.drop_table("sla_categories")
    op.rename_table("sla_categories_new", "sla_categories")


def downgrade() -> None:
    _table("sla_categories_old", with_urgency=False)
    op.execute(
        "INSERT INTO sla_categories_old (prefix, policy, updated_by, updated_at) "
        "SELECT prefix, policy, updated_by, updated_at FROM sla_categories WHERE urgency = ''"
    )
    op.drop_table("sla_categories")
    op.rename_table("sla_categories_old", "sla_categories")

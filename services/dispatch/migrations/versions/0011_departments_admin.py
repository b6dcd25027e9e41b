"""departments edited by admins: names, territories, duty contacts, merges

Revision ID: 0011
Revises: 0010

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.sqltypes import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("departments") as batch:
        batch.add_column(sa.Column("duty_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("edited_by", sa.String(length=150), nullable=True))
        batch.add_column(sa.Column("edited_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("retired_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("merged_into", sa.String(length=32), nullable=True))
    op.create_table(
        "department_areas",
        sa.Column("area", sa.String(length=12), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("area"),
    )
    op.create_index("ix_department_areas_department_code", "department_areas", ["department_code"])
    op.create_table(
        "department_changes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("by", sa.String(length=150), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("effective_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_department_changes_code", "department_changes", ["code"])
    # Each department's one area becomes the first code of its territory.
    op.execute(
        "INSERT INTO department_areas (area, department_code) "
        "SELECT area, code FROM departments WHERE area IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_department_changes_code", table_name="department_changes")
    op.drop_table("department_changes")
    op.drop_index("ix_department_areas_department_code", table_name="department_areas")
    op.drop_table("department_areas")
    with op.batch_alter_table("departments") as batch:
        for column in ("merged_into", "retired_at", "edited_at", "edited_by", "version"):
            batch.drop_column(column)
        batch.drop_column("duty_name")

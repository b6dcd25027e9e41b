"""knowledge entries: categories, validity dates and versions

Revision ID: 0015
Revises: 0014

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.sqltypes import UtcDateTime

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

entries = sa.table(
    "knowledge_entries",
    sa.column("id", sa.String),
    sa.column("title", sa.String),
    sa.column("answer", sa.Text),
    sa.column("keywords", sa.JSON),
    sa.column("category_code", sa.String),
    sa.column("categories", sa.JSON),
    sa.column("active", sa.Boolean),
    sa.column("updated_by", sa.String),
    sa.column("updated_at", UtcDateTime()),
)
versions = sa.table(
    "knowledge_versions",
    sa.column("entry_id", sa.String),
    sa.column("version", sa.Integer),
    sa.column("action", sa.String),
    sa.column("record", sa.JSON),
    sa.column("changed_by", sa.String),
    sa.column("changed_at", UtcDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("knowledge_entries") as batch:
        batch.add_column(sa.Column("categories", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("valid_from", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("valid_until", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "knowledge_versions",
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(length=150), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "version"),
    )
    # Each existing entry becomes its first version, its one category a list.
    bind = op.get_bind()
    for row in bind.execute(sa.select(entries)).mappings().all():
        categories = [row["category_code"]] if row["category_code"] else []
        bind.execute(
            entries.update().where(entries.c.id == row["id"]).values(categories=categories)
        )
        record = {
            "id": row["id"],
            "title": row["title"],
            "answer": row["answer"],
            "keywords": list(row["keywords"] or []),
            "categories": categories,
            "valid_from": None,
            "valid_until": None,
            "active": bool(row["active"]),
            "version": 1,
        }
        bind.execute(
            versions.insert().values(
                entry_id=row["id"],
                version=1,
                action="create",
                record=record,
                changed_by=row["updated_by"],
                changed_at=row["updated_at"],
            )
        )
    with op.batch_alter_table("knowledge_entries") as batch:
        batch.alter_column("categories", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("category_code")


def downgrade() -> None:
    with op.batch_alter_table("knowledge_entries") as batch:
        batch.add_column(sa.Column("category_code", sa.String(length=12), nullable=True))
    bind = op.get_bind()
    for row in bind.execute(sa.select(entries.c.id, entries.c.categories)).mappings().all():
        first = (row["categories"] or [None])[0]
        bind.execute(entries.update().where(entries.c.id == row["id"]).values(category_code=first))
    op.drop_table("knowledge_versions")
    with op.batch_alter_table("knowledge_entries") as batch:
        batch.drop_column("version")
        batch.drop_column("valid_until")
        batch.drop_column("valid_from")
        batch.drop_column("categories")

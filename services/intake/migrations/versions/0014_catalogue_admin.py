"""the catalogue's tree edits: moves, effective dates

Revision ID: 0014
Revises: 0013

"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("categories") as batch:
        batch.add_column(sa.Column("moved_to", sa.String(length=12), nullable=True))
    revisions = op.create_table(
        "category_revisions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("version", "code"),
    )
    rows = _history(op.get_bind())
    if rows:
        op.bulk_insert(revisions, rows)


def _history(bind: Any) -> list[dict[str, Any]]:
    """The revisions the versions so far already tell: the category each change names, and
    for a retired branch the descendants that still carry its version. (A restore recorded
    only the category asked for; the parents it brought back are not known.)"""
    changes = sa.table(
        "catalogue_changes",
        sa.column("version", sa.Integer),
        sa.column("action", sa.String),
        sa.column("code", sa.String),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
    )
    categories = sa.table(
        "categories",
        *(sa.column(n) for n in ("code", "name", "parent", "initials", "introduced_in")),
        sa.column("keywords", sa.JSON),
        sa.column("retired_in", sa.Integer),
    )
    rows: list[dict[str, Any]] = []
    current = [dict(r._mapping) for r in bind.execute(sa.select(categories))]
    for change in bind.execute(sa.select(changes).where(changes.c.code.is_not(None))):
        version, code = change.version, change.code
        rows.append(
            {"version": version, "code": code, "before": change.before, "after": change.after}
        )
        if change.action != "retire":
            continue
        for c in current:
            if c["code"].startswith(code) and c["code"] != code and c["retired_in"] == version:
                before = c | {"retired_in": None}
                rows.append({"version": version, "code": c["code"], "before": before, "after": c})
    return rows


def downgrade() -> None:
    op.drop_table("category_revisions")
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("moved_to")

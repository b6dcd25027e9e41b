"""the ledger: every fact chained per ticket and per audited record, sealed per day

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

SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("sequence", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("chain", sa.String(300), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.Column("corrects", sa.String(64)),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.UniqueConstraint("event_id", name="uq_ledger_entries_event"),
        sa.UniqueConstraint("chain", "position", name="uq_ledger_entries_chain_position"),
    )
    op.create_index("ix_ledger_entries_recorded", "ledger_entries", ["recorded_at"])
    op.create_table(
        "ledger_heads",
        sa.Column("chain", sa.String(300), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "ledger_seals",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("first_sequence", sa.BigInteger),
        sa.Column("last_sequence", sa.BigInteger),
        sa.Column("sealed_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ledger_seals")
    op.drop_table("ledger_heads")
    op.drop_index("ix_ledger_entries_recorded", table_name="ledger_entries")
    op.drop_table("ledger_entries")

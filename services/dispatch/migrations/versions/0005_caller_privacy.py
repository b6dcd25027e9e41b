"""opaque caller references, reveal audit, retention

Tickets keep whether the caller left a number, never the masked number: intake alone
holds callers' numbers in any form.

Revision ID: 0005
Revises: 0004

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("has_phone", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute("UPDATE tickets SET has_phone = (caller_masked IS NOT NULL)")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("caller_masked")


def downgrade() -> None:
    # The masked numbers are gone for good; only whether there was one comes back.
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("caller_masked", sa.String(length=20), nullable=True))
        batch_op.drop_column("has_phone")

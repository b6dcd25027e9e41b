"""field evidence and callers' cues: photos on contacts and resolutions

The photos themselves travel in the events and stay in the history's detail; tickets keep
their channel (the routing metric counts by it) and intake's frequent-caller cue.

Revision ID: 0007
Revises: 0006

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=10), server_default="phone", nullable=False)
        )
        batch_op.add_column(
            sa.Column("frequent_caller", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("frequent_caller")
        batch_op.drop_column("channel")

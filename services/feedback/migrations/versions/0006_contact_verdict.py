"""dispatch's verdict on the first contact

Assignments keep whether dispatch judged the first contact on time (CitizenContacted.on_time).
Rows from before stay empty: their contact is judged by the deadline, as it was.

Revision ID: 0006
Revises: 0005

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracked_assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_on_time", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracked_assignments", schema=None) as batch_op:
        batch_op.drop_column("contact_on_time")

"""channels: photos and the frequent-caller cue on each ticket

Revision ID: 0007
Revises: 0006

"""

from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Nothing in the SQL schema changes: documents are stored whole as JSON (the timeline's
# photos and `frequent_caller` ride in them, and a rebuild from the topics refills them), and
# the channel facet is counted by the search index, which already keeps `channel`.


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

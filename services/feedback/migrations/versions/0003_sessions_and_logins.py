"""sign-in throttling and revoked sessions

Revision ID: 0003
Revises: 0002

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.sqltypes

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=150), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failed_at", services.common.sqltypes.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        "ix_sign_in_failures_account", "sign_in_failures", ["account", "failed_at"], unique=False
    )
    op.create_index(
        "ix_sign_in_failures_address", "sign_in_failures", ["address", "failed_at"], unique=False
    )
    op.create_table(
        "revoked_sessions",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column(
            "expires_at", services.common.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("session_id"),
    )


def downgrade() -> None:
    op.drop_table("revoked_sessions")
    op.drop_index("ix_sign_in_failures_address", table_name="sign_in_failures")
    op.drop_index("ix_sign_in_failures_account", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")

"""citizen portal: one-time codes, tracking links, the citizen's timeline, text opt-outs

Revision ID: 0008
Revises: 0007

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.sqltypes

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT = services.common.sqltypes.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient_cipher", sa.Text(), nullable=True))
    op.create_table(
        "portal_codes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("phone_key", sa.String(length=64), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("verified_at", _AT, nullable=True),
        sa.Column("proof_hash", sa.String(length=64), nullable=True),
        sa.Column("used_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proof_hash"),
    )
    op.create_index("ix_portal_codes_phone_at", "portal_codes", ["phone_key", "created_at"])
    op.create_index("ix_portal_codes_client_at", "portal_codes", ["client_key", "created_at"])
    op.create_table(
        "tracking_revocations",
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("revoked_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_table(
        "citizen_timeline",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        "ix_citizen_timeline_ticket_at", "citizen_timeline", ["ticket_id", "at"], unique=False
    )
    op.create_table(
        "text_optouts",
        sa.Column("caller_key", sa.String(length=64), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("caller_key"),
    )
    op.create_table(
        "hidden_numbers",
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )


def downgrade() -> None:
    op.drop_table("hidden_numbers")
    op.drop_table("text_optouts")
    op.drop_index("ix_citizen_timeline_ticket_at", table_name="citizen_timeline")
    op.drop_table("citizen_timeline")
    op.drop_table("tracking_revocations")
    op.drop_index("ix_portal_codes_client_at", table_name="portal_codes")
    op.drop_index("ix_portal_codes_phone_at", table_name="portal_codes")
    op.drop_table("portal_codes")
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.drop_column("recipient_cipher")

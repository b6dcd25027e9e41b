"""opaque caller references, reveal audit, retention

Every caller already on record gets a random reference (one per number); the reveal log
becomes the privacy audit, keeping its entries.

Revision ID: 0005
Revises: 0004

"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.sqltypes

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("caller_ref", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column(
                "callback_due_until",
                services.common.sqltypes.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.create_index("ix_tickets_closed_at", ["closed_at"], unique=False)
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("caller_ref", sa.String(length=40), nullable=True))
    op.create_table(
        "privacy_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", services.common.sqltypes.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("call_id", sa.String(length=32), nullable=True),
        sa.Column("caller_ref", sa.String(length=40), nullable=True),
        sa.Column("records", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_privacy_audit_action_id", "privacy_audit", ["action", "id"])
    op.create_index("ix_privacy_audit_ticket", "privacy_audit", ["ticket_id"])
    _give_callers_references()
    op.execute(
        "INSERT INTO privacy_audit (at, actor, action, outcome, reason, ticket_id, call_id,"
        " caller_ref, records) SELECT r.revealed_at, r.revealed_by, 'reveal', 'revealed',"
        " 'logged', c.ticket_id, r.call_id, c.caller_ref, 1"
        " FROM phone_reveals r LEFT JOIN calls c ON c.id = r.call_id ORDER BY r.id"
    )
    with op.batch_alter_table("phone_reveals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_reveals_call_id"))
    op.drop_table("phone_reveals")


def _give_callers_references() -> None:
    """One random reference per number already on record (found by its keyed hash)."""
    conn = op.get_bind()
    keys = conn.execute(
        sa.text("SELECT DISTINCT caller_key FROM calls WHERE caller_key IS NOT NULL")
    ).scalars()
    for key in list(keys):
        ref = "cr_" + secrets.token_urlsafe(16)
        for table in ("calls", "tickets"):
            conn.execute(
                sa.text(f"UPDATE {table} SET caller_ref = :ref WHERE caller_key = :key"),
                {"ref": ref, "key": key},
            )


def downgrade() -> None:
    op.create_table(
        "phone_reveals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("call_id", sa.String(length=32), nullable=False),
        sa.Column("revealed_by", sa.String(length=64), nullable=False),
        sa.Column(
            "revealed_at", services.common.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("phone_reveals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_reveals_call_id"), ["call_id"], unique=False)
    op.execute(
        "INSERT INTO phone_reveals (call_id, revealed_by, revealed_at) SELECT call_id, actor, at"
        " FROM privacy_audit WHERE action = 'reveal' AND outcome = 'revealed'"
        " AND call_id IS NOT NULL ORDER BY id"
    )
    op.drop_index("ix_privacy_audit_ticket", table_name="privacy_audit")
    op.drop_index("ix_privacy_audit_action_id", table_name="privacy_audit")
    op.drop_table("privacy_audit")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("caller_ref")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_closed_at")
        batch_op.drop_column("callback_due_until")
        batch_op.drop_column("caller_ref")

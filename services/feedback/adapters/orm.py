"""Feedback's tables: what it knows of tickets and assignments, invitations, ratings and
callbacks. Ratings hold everything the three rates are computed from."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from services.common.idempotency import idempotency_table
from services.common.messaging_tables import inbox_table, outbox_table
from services.common.session_tables import session_tables
from services.common.sqltypes import UtcDateTime

metadata = MetaData()

assignments = Table(
    "tracked_assignments",
    metadata,
    Column("assignment_id", String(32), primary_key=True),
    Column("ticket_id", String(64), nullable=False, index=True),
    Column("department_code", String(32), nullable=False, index=True),
    Column("department_name", String(200), nullable=False),
    Column("status", String(32), nullable=False),
    Column("dispatched_at", UtcDateTime, nullable=False),
    Column("role", String(8), nullable=False, server_default="lead"),
    Column("round", Integer, nullable=False, server_default="1"),
    Column("contact_due", UtcDateTime, nullable=True),
    Column("acknowledged_at", UtcDateTime, nullable=True),
    Column("contacted_at", UtcDateTime, nullable=True),
    # Dispatch's verdict on the first contact (CitizenContacted.on_time); null when the
    # contact came on an event from before dispatch gave one.
    Column("contact_on_time", Boolean, nullable=True),
    Column("resolved_at", UtcDateTime, nullable=True),
)

departments = Table(
    "departments",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
)

tickets = Table(
    "feedback_tickets",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("number", String(32), nullable=True),
    Column("category", String(200), nullable=True),
    # Whether the caller left a number; the number itself stays in intake.
    Column("has_phone", Boolean, nullable=False, server_default=false()),
    # open → awaiting_rating → closed | reopened | supervised (→ awaiting_rating again)
    Column("status", String(24), nullable=False),
    Column("reopen_count", Integer, nullable=False, server_default="0"),
    Column("updated_at", UtcDateTime, nullable=False),
)

invitations = Table(
    "invitations",
    metadata,
    Column("invitation_id", String(32), primary_key=True),
    Column("ticket_id", String(64), nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("assignment_id", String(32), nullable=True),
    Column("round", Integer, nullable=False),
    Column("department_code", String(32), nullable=True),
    Column("department_name", String(200), nullable=True),
    # pending → rated | expired | superseded
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Index("ix_invitations_pending_expiry", "status", "expires_at"),
)

ratings = Table(
    "ratings",
    metadata,
    Column("rating_id", String(32), primary_key=True),
    Column("invitation_id", String(32), nullable=False),
    Column("ticket_id", String(64), nullable=False, index=True),
    Column("round", Integer, nullable=False),
    Column("assignment_id", String(32), nullable=True),
    Column("department_code", String(32), nullable=True),
    Column("via", String(16), nullable=False),
    Column("by", String(100), nullable=True),
    Column("contacted", Boolean, nullable=False),
    Column("contact_on_time", Boolean, nullable=False),
    Column("solved", Boolean, nullable=False),
    Column("satisfaction", String(24), nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("rated_at", UtcDateTime, nullable=False),
    Column("month", String(7), nullable=False),
    # One answer per invitation, whether by link or by callback, even under a race.
    UniqueConstraint("invitation_id", name="uq_ratings_invitation"),
    # Covers the ranking's GROUP BY, so it reads the index alone.
    Index(
        "ix_ratings_month_department",
        "month",
        "department_code",
        "contacted",
        "contact_on_time",
        "solved",
        "satisfaction",
    ),
)

callbacks = Table(
    "callbacks",
    metadata,
    Column("callback_id", String(32), primary_key=True),
    Column("ticket_id", String(64), nullable=False, index=True),
    Column("invitation_id", String(32), nullable=False),
    Column("reached", Boolean, nullable=False),
    Column("rating_id", String(32), nullable=True),
    Column("note", Text, nullable=False, server_default=""),
    Column("by", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

# 申诉: a department's appeal against its assignment or its assessment on one ticket; see
# docs/three-rates.md (Appeals). An upheld one excludes the ticket from the department's rates.
appeals = Table(
    "appeals",
    metadata,
    Column("appeal_id", String(32), primary_key=True),
    Column("ticket_id", String(64), nullable=False),
    Column("department_code", String(32), nullable=False),
    Column("assignment_id", String(32), nullable=True),
    Column("kind", String(24), nullable=False),
    Column("reason", Text, nullable=False),
    Column("photos", JSON, nullable=False),
    # pending → upheld | rejected (a leader may turn one into the other)
    Column("status", String(16), nullable=False),
    Column("filed_by", String(100), nullable=False),
    Column("filed_at", UtcDateTime, nullable=False),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("decision_reason", Text, nullable=True),
    # The rates' exclusion test (ticket, department, upheld) reads this index alone.
    Index("ix_appeals_ticket_department", "ticket_id", "department_code", "status"),
    Index("ix_appeals_status_filed", "status", "filed_at"),
    # One pending appeal per ticket × department × kind, even under a race.
    Index(
        "uq_appeals_pending",
        "ticket_id",
        "department_code",
        "kind",
        unique=True,
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

# Every step of every appeal (filed, decided, reversed): who, when, why (留痕).
appeal_steps = Table(
    "appeal_steps",
    metadata,
    Column("step_id", String(32), primary_key=True),
    Column("appeal_id", String(32), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("reason", Text, nullable=False),
    Column("by", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

outbox_table(metadata)
inbox_table(metadata)
session_tables(metadata)
idempotency_table(metadata)

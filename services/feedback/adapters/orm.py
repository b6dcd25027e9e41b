"""Feedback's tables: the assignments it will later invite ratings for."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table

from services.common.messaging_tables import inbox_table, outbox_table
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
)

outbox_table(metadata)
inbox_table(metadata)

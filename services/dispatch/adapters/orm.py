"""Dispatch's tables."""

from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, String, Table

from services.common.messaging_tables import inbox_table, outbox_table
from services.common.sqltypes import UtcDateTime

metadata = MetaData()

assignments = Table(
    "assignments",
    metadata,
    Column("id", String(32), primary_key=True),
    # One first assignment per ticket, whatever the redelivery: the database says no twice.
    Column("ticket_id", String(64), nullable=False, unique=True),
    Column("department_code", String(32), nullable=False),
    Column("department_name", String(200), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("status", String(32), nullable=False),
    Column("dispatched_at", UtcDateTime, nullable=False),
    Index("ix_assignments_department", "department_code", "dispatched_at"),
)

outbox_table(metadata)
inbox_table(metadata)

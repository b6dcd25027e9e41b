"""Intake's tables. Phone numbers never appear in clear: masked form and HMAC key only."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Index, Integer, MetaData, String, Table, Text

from services.common.messaging_tables import inbox_table, outbox_table
from services.common.sqltypes import UtcDateTime

metadata = MetaData()

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("number", String(16), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),
    Column("request_type", String(16), nullable=False),
    Column("category_code", String(32), nullable=False),
    Column("category_path", JSON, nullable=False),
    Column("area_code", String(32), nullable=True),
    Column("area_path", JSON, nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("caller_masked", String(16), nullable=True),
    Column("caller_key", String(64), nullable=True, index=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("department_name", String(200), nullable=True),
    Index("ix_tickets_created_by_at", "created_by", "created_at"),
)

ticket_counters = Table(
    "ticket_counters",
    metadata,
    Column("day", Date, primary_key=True),
    Column("last", Integer, nullable=False),
)

outbox_table(metadata)
inbox_table(metadata)

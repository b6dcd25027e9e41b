"""Search's own tables: the projection's source of truth, from which the index is derived."""

from __future__ import annotations

from sqlalchemy import JSON, Column, MetaData, String, Table

from services.common.messaging_tables import inbox_table, outbox_table
from services.common.sqltypes import UtcDateTime

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("doc", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

outbox_table(metadata)
inbox_table(metadata)

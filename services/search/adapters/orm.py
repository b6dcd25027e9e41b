"""Search's own tables: the projection's source of truth, from which the index is derived."""

from __future__ import annotations

from sqlalchemy import JSON, Column, MetaData, String, Table

from services.common.messaging_tables import inbox_table, outbox_table
from services.common.session_tables import session_tables
from services.common.sqltypes import UtcDateTime

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("doc", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Where `hotline rebuild-search` folds the replayed topics before swapping them in.
rebuild_documents = Table(
    "rebuild_documents",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("doc", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Names of the codes facets show (categories, areas, departments), as events last gave them.
labels = Table(
    "labels",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
)

outbox_table(metadata)
inbox_table(metadata)
session_tables(metadata)

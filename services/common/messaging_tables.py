"""Outbox and inbox tables, added to each service's own metadata (no shared database)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from services.common.sqltypes import UtcDateTime

# BIGINT on PostgreSQL, but INTEGER on SQLite so the column stays the rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def outbox_table(metadata: MetaData) -> Table:
    if "outbox" in metadata.tables:
        return metadata.tables["outbox"]
    table = Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(64), nullable=False),
        Column("payload", Text, nullable=False),
        Column("headers", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("sent_at", UtcDateTime, nullable=True),
    )
    # The relay only ever asks for unsent rows: a partial index keeps that cheap forever.
    Index(
        "ix_outbox_unsent",
        table.c.id,
        postgresql_where=table.c.sent_at.is_(None),
        sqlite_where=table.c.sent_at.is_(None),
    )
    return table


def inbox_table(metadata: MetaData) -> Table:
    if "inbox" in metadata.tables:
        return metadata.tables["inbox"]
    table = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("processed_at", UtcDateTime, nullable=False),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    # The retention purge finds the oldest rows by this, without reading the whole inbox.
    Index("ix_inbox_processed_at", table.c.processed_at)
    return table

"""Sign-in failures and revoked sessions, added to each service's own metadata: every
service keeps the same rows, fed by its own sign-ins and by the others' events."""

from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, String, Table

from proto.sessions import ACCOUNT_MAX
from services.common.sqltypes import UtcDateTime


def sign_in_failures_table(metadata: MetaData) -> Table:
    if "sign_in_failures" in metadata.tables:
        return metadata.tables["sign_in_failures"]
    table = Table(
        "sign_in_failures",
        metadata,
        # The event's id: a failure reaches a service once from itself and once from the
        # bus, and is kept once.
        Column("event_id", String(64), primary_key=True),
        Column("account", String(ACCOUNT_MAX), nullable=False),
        Column("address", String(64), nullable=False),
        Column("failed_at", UtcDateTime, nullable=False),
    )
    Index("ix_sign_in_failures_account", table.c.account, table.c.failed_at)
    Index("ix_sign_in_failures_address", table.c.address, table.c.failed_at)
    return table


def revoked_sessions_table(metadata: MetaData) -> Table:
    if "revoked_sessions" in metadata.tables:
        return metadata.tables["revoked_sessions"]
    return Table(
        "revoked_sessions",
        metadata,
        Column("session_id", String(64), primary_key=True),
        Column("expires_at", UtcDateTime, nullable=False),
    )


def session_tables(metadata: MetaData) -> tuple[Table, Table]:
    return sign_in_failures_table(metadata), revoked_sessions_table(metadata)

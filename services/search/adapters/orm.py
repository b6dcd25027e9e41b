"""Search's own tables: the projection's source of truth, from which the index is derived."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from services.common.idempotency import idempotency_table
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

# Monthly themes (每月一题): a problem class (category prefix × areas) the leaders take on,
# with its tasks and progress notes. Search owns them: see services/search/domain/themes.py.
themes = Table(
    "themes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(100), nullable=False),
    Column("category_code", String(32), nullable=False),
    Column("area_codes", JSON, nullable=False),
    Column("lead_department", String(64), nullable=False),
    Column("co_departments", JSON, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("source", String(80), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
theme_tasks = Table(
    "theme_tasks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("theme_id", String(64), ForeignKey("themes.id"), nullable=False),
    Column("department_code", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("done", Boolean, nullable=False),
    Column("done_by", String(64)),
    Column("done_at", UtcDateTime),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_theme_tasks_theme", "theme_id"),
)
theme_notes = Table(
    "theme_notes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("theme_id", String(64), ForeignKey("themes.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("by", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_theme_notes_theme", "theme_id"),
)

# The audit log: every service's configuration changes and intake's personal-data accesses,
# folded from `hotline.audit` (one row per event, keyed by its id, so a redelivery or a
# replay adds nothing). It stays in this database with every search backend: it is small.
audit_log = Table(
    "audit_log",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("type", String(40), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("key", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("by", String(150), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("summary", String(500), nullable=False),
    Column("version", Integer),
    Column("effective_at", UtcDateTime),
    Column("before", JSON),
    Column("after", JSON),
    Column("outcome", String(16)),
    Column("reason", String(200)),
    Column("ticket_id", String(64)),
    Column("ticket_number", String(32)),
    Column("producer", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Index("ix_audit_log_at", "at", "event_id"),
    Index("ix_audit_log_kind_key", "kind", "key", "at"),
    Index("ix_audit_log_by", "by", "at"),
)

# Hot-spot alarms: one row per crossing of a spot's threshold (the unique key makes two
# instances raise it once), cleared when the spot falls back, acknowledged by a person.
hotspot_alarms = Table(
    "hotspot_alarms",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("spot_key", String(80), nullable=False),
    Column("crossing", Integer, nullable=False),
    Column("category_code", String(32), nullable=False),
    Column("area_code", String(32), nullable=False),
    Column("count", Integer, nullable=False),
    Column("expected", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("cleared_at", UtcDateTime),
    Column("acknowledged_by", String(150)),
    Column("acknowledged_at", UtcDateTime),
    UniqueConstraint("spot_key", "crossing", name="uq_hotspot_alarm_crossing"),
    Index("ix_hotspot_alarms_open", "cleared_at", "spot_key"),
)

# Spots a newly folded ticket touched, waiting for the alarm worker to look at them again.
hotspot_pending = Table(
    "hotspot_pending",
    metadata,
    Column("spot_key", String(80), primary_key=True),
    Column("since", UtcDateTime, nullable=False),
)

# Each closed month's public figures (docs/public-results.md), frozen when first published;
# its sealed root filled in once every day of the month is sealed.
public_months = Table(
    "public_months",
    metadata,
    Column("month", String(7), primary_key=True),
    Column("figures", JSON, nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
    Column("root", String(64)),
)

# The ledger (see domain/ledger.py): every consumed event entered once, chained per ticket
# and per audited record, never changed nor emptied (a rebuild leaves it alone); the head of
# each chain, locked while an entry is added so two instances never fork it; one seal per
# closed day. The columns beside `content` index what the hashed content already says.
LEDGER_SEQUENCE = BigInteger().with_variant(Integer, "sqlite")
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("sequence", LEDGER_SEQUENCE, primary_key=True, autoincrement=True),
    Column("chain", String(300), nullable=False),
    Column("position", Integer, nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("type", String(100), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("corrects", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("content", Text, nullable=False),
    UniqueConstraint("event_id", name="uq_ledger_entries_event"),
    UniqueConstraint("chain", "position", name="uq_ledger_entries_chain_position"),
    Index("ix_ledger_entries_recorded", "recorded_at"),
)
ledger_heads = Table(
    "ledger_heads",
    metadata,
    Column("chain", String(300), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
ledger_seals = Table(
    "ledger_seals",
    metadata,
    Column("day", Date, primary_key=True),
    Column("root", String(64), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("first_sequence", BigInteger),
    Column("last_sequence", BigInteger),
    Column("sealed_at", UtcDateTime, nullable=False),
)

outbox_table(metadata)
inbox_table(metadata)
idempotency_table(metadata)  # themes' changes take Idempotency-Key
session_tables(metadata)

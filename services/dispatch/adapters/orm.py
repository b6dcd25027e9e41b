"""Dispatch's tables. Deadlines are stored and indexed so the scheduler asks only for what
is due; one row per clock, `next_fire_at` NULL once nothing is left to fire."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from services.common.idempotency import idempotency_table
from services.common.messaging_tables import BigId, inbox_table, outbox_table
from services.common.scheduled import scheduled_table
from services.common.session_tables import session_tables
from services.common.sqltypes import UtcDateTime

metadata = MetaData()

departments = Table(
    "departments",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("area", String(12), nullable=True, unique=True),
    Column("parent", String(32), nullable=True),
    # Who hears of a warning or breach: a staff duty number, not a citizen's.
    Column("notice_channel", String(10), nullable=False, server_default="none"),
    Column("duty_phone", String(20), nullable=True),
    Column("webhook_url", String(500), nullable=True),
    # Admins' edits (services/dispatch/handlers/departments.py): the duty contact's name
    # beside the notice settings, the version every change moves, and who edited it last (the
    # seed then leaves the row alone). A merged department is retired, not deleted: old
    # assignments still name it.
    Column("duty_name", String(100), nullable=True),
    Column("version", Integer, nullable=False, server_default="0"),
    Column("edited_by", String(150), nullable=True),
    Column("edited_at", UtcDateTime, nullable=True),
    Column("retired_at", UtcDateTime, nullable=True),
    Column("merged_into", String(32), nullable=True),
)

# A department's territory: the address codes (district or street) it answers for when no
# explicit rule decides; one department per code. `departments.area` keeps the first of them
# for readers from before territories.
department_areas = Table(
    "department_areas",
    metadata,
    Column("area", String(12), primary_key=True),
    Column("department_code", String(32), nullable=False, index=True),
)
# Who changed which department (or its notice settings) when, before and after (留痕): the
# history the departments page shows; the audit log keeps the same as events.
department_changes = Table(
    "department_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("action", String(16), nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Column("by", String(150), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("effective_at", UtcDateTime, nullable=True),
)

categories = Table(
    "categories",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("source", String(10), nullable=False),
)

routing_rules = Table(
    "routing_rules",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("category", String(12), nullable=True),
    Column("area", String(12), nullable=True),
    Column("department", String(32), nullable=False),
    Column("co", Text, nullable=False, server_default="[]"),
    Column("note", String(500), nullable=False, server_default=""),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Who changed which rule when (留痕), read back as the rules' history; the audit event of each
# change travels on hotline.audit.
rule_changes = Table(
    "rule_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rule_id", String(40), nullable=False),
    Column("action", String(10), nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Column("by", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

# Counters other instances compare against their caches (e.g. the rules' version).
versions = Table(
    "versions",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)

# SLA policies (time limits), seeded once from sla.toml and then edited by admins: each
# limit in hours with how it counts (natural or working); category prefixes (leaf or
# branch) naming their policy; every change kept with its version, before and after (留痕).
sla_policies = Table(
    "sla_policies",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("acknowledge_hours", Float, nullable=False),
    Column("acknowledge_time", String(8), nullable=False),
    Column("contact_hours", Float, nullable=False),
    Column("contact_time", String(8), nullable=False),
    Column("resolve_hours", Float, nullable=False),
    Column("resolve_time", String(8), nullable=False),
    Column("warn_share", Float, nullable=False),
    Column("max_extension_hours", Float, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
sla_categories = Table(
    "sla_categories",
    metadata,
    Column("prefix", String(12), primary_key=True),
    # The urgency this policy is for; "" for every urgency but urgent.
    Column("urgency", String(16), primary_key=True, server_default=""),
    Column("policy", String(40), nullable=False),
    Column("updated_by", String(100), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
sla_changes = Table(
    "sla_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("version", Integer, nullable=False),
    Column("subject", String(10), nullable=False),
    Column("key", String(40), nullable=False),
    Column("action", String(10), nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Column("by", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("effective_at", UtcDateTime, nullable=True),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("number", String(32), nullable=False),
    Column("category_code", String(12), nullable=False),
    Column("category_name", String(200), nullable=False),
    Column("area_code", String(12), nullable=True),
    Column("area_name", String(300), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("has_phone", Boolean, nullable=False, server_default=false()),
    Column("created_at", UtcDateTime, nullable=False),
    Column("state", String(20), nullable=False),
    Column("round", Integer, nullable=False),
    Column("review_reason", String(40), nullable=False, server_default=""),
    Column("channel", String(10), nullable=False, server_default="phone"),
    Column("frequent_caller", Boolean, nullable=False, server_default=false()),
    # The category intake's suggester read in the description (none: it read nothing).
    Column("suggested_category", String(12), nullable=True),
    Column("suggestion_confidence", Float, nullable=True),
    Column("suggestion_model_version", Integer, nullable=True),
    Column("suggestion_words", Text, nullable=False, server_default="[]"),
    Index("ix_tickets_state", "state", "created_at"),
)

# Suggested versus final, once per ticket (its first routing by hand from the review
# queue): the suggested category and the department it pointed at then (none when no rule
# sent it anywhere), the department the dispatcher chose, who and when.
suggestion_decisions = Table(
    "suggestion_decisions",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("category_code", String(12), nullable=False),
    Column("department_code", String(32), nullable=True),
    Column("chosen_department", String(32), nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("by", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_suggestion_decisions_at", "at"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("ticket_id", String(64), nullable=False),
    Column("round", Integer, nullable=False, server_default="1"),
    Column("attempt", Integer, nullable=False, server_default="1"),
    Column("role", String(4), nullable=False, server_default="lead"),
    Column("department_code", String(32), nullable=False),
    Column("department_name", String(200), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("policy", String(40), nullable=False, server_default="general"),
    Column("status", String(32), nullable=False),
    Column("sla_state", String(10), nullable=False, server_default="on_time"),
    Column("dispatched_at", UtcDateTime, nullable=False),
    Column("dispatched_by", String(100), nullable=False, server_default="routing"),
    Column("note", String(1000), nullable=False, server_default=""),
    Column("acknowledged_at", UtcDateTime, nullable=True),
    Column("acknowledged_by", String(100), nullable=True),
    Column("contacted_at", UtcDateTime, nullable=True),
    Column("contacted_by", String(100), nullable=True),
    Column("resolved_at", UtcDateTime, nullable=True),
    Column("resolved_by", String(100), nullable=True),
    Column("outcome", Text, nullable=False, server_default=""),
    Column("returned_at", UtcDateTime, nullable=True),
    Column("returned_by", String(100), nullable=True),
    Column("return_reason_code", String(20), nullable=True),
    Column("return_reason", Text, nullable=False, server_default=""),
    Column("waiting", Boolean, nullable=False, server_default="0"),
    Column("supervised", Boolean, nullable=False, server_default="0"),
    Column("version", Integer, nullable=False, server_default="0"),
    Column("suggestion", String(10), nullable=False, server_default=""),
    # A redelivered event or a double click cannot make a second assignment.
    UniqueConstraint("ticket_id", "round", "attempt", "department_code", name="uq_assignment"),
    Index("ix_assignments_department", "department_code", "status"),
    Index("ix_assignments_ticket", "ticket_id", "round"),
    Index("ix_assignments_status", "status", "returned_at"),
)

clocks = Table(
    "clocks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("assignment_id", String(32), nullable=False),
    Column("ticket_id", String(64), nullable=False),
    Column("department_code", String(32), nullable=False),
    Column("clock", String(12), nullable=False),
    Column("working_days", Boolean, nullable=False),
    Column("state", String(8), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("warn_at", UtcDateTime, nullable=False),
    Column("left_seconds", Float, nullable=True),
    Column("warn_left_seconds", Float, nullable=True),
    Column("warned_at", UtcDateTime, nullable=True),
    Column("breached_at", UtcDateTime, nullable=True),
    Column("stopped_at", UtcDateTime, nullable=True),
    Column("next_fire_at", UtcDateTime, nullable=True),
    # natural, working (hours) or working_days (whole days: clocks started before working
    # hours); `working_days` above stays for readers asking only whether days off count.
    Column("basis", String(12), nullable=False, server_default="natural"),
    UniqueConstraint("assignment_id", "clock", name="uq_clock"),
)
# Only clocks with something left to fire are in the index the scheduler reads.
Index(
    "ix_clocks_due",
    clocks.c.next_fire_at,
    postgresql_where=clocks.c.next_fire_at.is_not(None),
    sqlite_where=clocks.c.next_fire_at.is_not(None),
)

extensions = Table(
    "extensions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("assignment_id", String(32), nullable=False, index=True),
    Column("ticket_id", String(64), nullable=False),
    Column("department_code", String(32), nullable=False),
    Column("new_due", UtcDateTime, nullable=False),
    Column("previous_due", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("note", Text, nullable=False, server_default=""),
    Index("ix_extensions_status", "status", "requested_at"),
)

supervisions = Table(
    "supervisions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("assignment_id", String(32), nullable=False),
    Column("ticket_id", String(64), nullable=False),
    Column("department_code", String(32), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("opened_by", String(100), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("closed_by", String(100), nullable=True),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("note", Text, nullable=False, server_default=""),
    Index("ix_supervisions_open", "closed_at", "opened_at"),
    Index("ix_supervisions_assignment", "assignment_id"),
)

# Holidays and make-up workdays imported per year (JSON lists of ISO dates), and who changed
# which year when, with what it was before (留痕).
calendar_years = Table(
    "calendar_years",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("holidays", Text, nullable=False),
    Column("workdays", Text, nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    Column("imported_by", String(100), nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
)
calendar_changes = Table(
    "calendar_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False, index=True),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=False),
    Column("by", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

# Notices to a department's duty contact: one per assignment, clock and kind (warning or
# breach), written with the firing that causes it and sent by a worker afterwards.
notices = Table(
    "notices",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("assignment_id", String(32), nullable=False),
    Column("ticket_number", String(32), nullable=False),
    Column("department_code", String(32), nullable=False),
    Column("clock", String(12), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("channel", String(10), nullable=False),
    Column("recipient", String(500), nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("last_error", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    UniqueConstraint("assignment_id", "clock", "kind", name="uq_notice"),
    Index("ix_notices_due", "status", "next_attempt_at"),
)

# Hot-spot alarms search raised (hotline.insights), for the dispatchers' desk badge: one
# row per alarm, cleared when search clears it.
hotspot_alarms = Table(
    "hotspot_alarms",
    metadata,
    Column("alarm_id", String(32), primary_key=True),
    Column("category_code", String(32), nullable=False),
    Column("category_name", String(200), nullable=True),
    Column("area_code", String(32), nullable=False),
    Column("area_name", String(200), nullable=True),
    Column("department_code", String(32), nullable=True),
    Column("count", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("cleared_at", UtcDateTime, nullable=True),
)

# The visible history of an assignment: each event, who, when, and its words.
activity = Table(
    "activity",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("assignment_id", String(32), nullable=False, index=True),
    Column("type", String(40), nullable=False),
    Column("by", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("detail", Text, nullable=False, server_default="{}"),
)

outbox_table(metadata)
inbox_table(metadata)
# Changes that take effect from a date (services/common/scheduled.py).
scheduled_changes = scheduled_table(metadata)
session_tables(metadata)
idempotency_table(metadata)

"""Intake's tables. Phone numbers never appear in clear: masked form, HMAC key, and the
number encrypted (Fernet) in `calls.caller_cipher` only. `caller_ref` is the random name
other services know a caller by; only these tables map it back."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    LargeBinary,
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
from services.common.scheduled import scheduled_table
from services.common.session_tables import session_tables
from services.common.sqltypes import UtcDateTime

metadata = MetaData()
_OPEN = text("closed_at IS NULL")

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
    Column("address", String(500), nullable=True),
    Column("calls", Integer, nullable=False, server_default="1"),
    Column("catalogue_version", Integer, nullable=False, server_default="1"),
    Column("status_at", UtcDateTime, nullable=True),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("answer", Text, nullable=True),
    Column("knowledge_entry_id", String(32), nullable=True),
    Column("caller_ref", String(40), nullable=True),
    # Set while feedback waits for the citizen's rating: agents may call them back (回访).
    Column("callback_due_until", UtcDateTime, nullable=True),
    # The caller had called more than the day's threshold when this ticket was logged.
    Column("frequent_caller", Boolean, nullable=False, server_default=false()),
    # Open311: the lead department's reply (status_notes), when it expects to be done,
    # and where a city app said the problem is and what it showed.
    Column("status_notes", Text, nullable=True),
    Column("expected_at", UtcDateTime, nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("media_url", String(1000), nullable=True),
    Index("ix_tickets_created_by_at", "created_by", "created_at"),
    # Open311's public list: newest first in a window, optionally of some services.
    Index("ix_tickets_created_at", "created_at"),
    Index("ix_tickets_category_created_at", "category_code", "created_at"),
    Index("ix_tickets_closed_at", "closed_at"),
    # The duplicates panel: open tickets at a place (prefix of the area code), newest first,
    # optionally of one category. Partial, so closed tickets cost nothing.
    Index(
        "ix_tickets_open_area_at",
        "area_code",
        "created_at",
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    ),
    Index(
        "ix_tickets_open_area_category_at",
        "area_code",
        "category_code",
        "created_at",
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    ),
)

calls = Table(
    "calls",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("ticket_id", String(32), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("request_type", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("caller_masked", String(16), nullable=True),
    Column("caller_key", String(64), nullable=True, index=True),
    Column("caller_cipher", Text, nullable=True),
    Column("taken_by", String(64), nullable=False),
    Column("taken_at", UtcDateTime, nullable=False),
    Column("form_seconds", Float, nullable=True),
    Column("caller_ref", String(40), nullable=True),
    Index("ix_calls_ticket_at", "ticket_id", "taken_at"),
    Index("ix_calls_taken_by_at", "taken_by", "taken_at"),
    # Frequent callers: one caller's calls of the day.
    Index("ix_calls_caller_key_taken_at", "caller_key", "taken_at"),
)

# Who touched personal data, when, on which ticket and why (留痕): every reveal of a number
# and every refused attempt, every export and erasure, every retention sweep that erased.
privacy_audit = Table(
    "privacy_audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # reveal, export, erase, retention
    Column("outcome", String(16), nullable=False),  # revealed, refused, done
    Column("reason", String(32), nullable=False),
    Column("ticket_id", String(32), nullable=True),
    Column("call_id", String(32), nullable=True),
    Column("caller_ref", String(40), nullable=True),
    Column("records", Integer, nullable=False, server_default="0"),
    Index("ix_privacy_audit_action_id", "action", "id"),
    Index("ix_privacy_audit_ticket", "ticket_id"),
)

ticket_counters = Table(
    "ticket_counters",
    metadata,
    Column("day", Date, primary_key=True),
    Column("last", Integer, nullable=False),
)

categories = Table(
    "categories",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("parent", String(12), nullable=True),
    Column("keywords", JSON, nullable=False),
    Column("initials", String(100), nullable=False),
    Column("introduced_in", Integer, nullable=False),
    Column("retired_in", Integer, nullable=True),
    # Where a moved category lives now (its old code stays, retired, for old tickets).
    Column("moved_to", String(12), nullable=True),
)

# One row per catalogue version: who changed what, and when (留痕).
catalogue_changes = Table(
    "catalogue_changes",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("action", String(16), nullable=False),
    Column("code", String(12), nullable=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("changed_by", String(64), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

# Every category a version touched, before and after: undone newest first, they give the
# tree as it stood at any version.
category_revisions = Table(
    "category_revisions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("code", String(12), primary_key=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
)

knowledge_entries = Table(
    "knowledge_entries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("answer", Text, nullable=False),
    Column("keywords", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Leaf or branch category codes; agents are offered the entry only between its dates.
    Column("categories", JSON, nullable=False),
    Column("valid_from", UtcDateTime, nullable=True),
    Column("valid_until", UtcDateTime, nullable=True),
    Column("version", Integer, nullable=False, server_default="1"),
)

# Every save of an entry, whole: who and when, and what it said.
knowledge_versions = Table(
    "knowledge_versions",
    metadata,
    Column("entry_id", String(32), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("action", String(16), nullable=False),
    Column("record", JSON, nullable=False),
    Column("changed_by", String(150), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

_PENDING = text("status = 'pending'")

sms_messages = Table(
    "sms_messages",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("request_id", String(100), nullable=False, unique=True),
    Column("ticket_id", String(32), nullable=False),
    Column("ticket_number", String(16), nullable=True),
    Column("purpose", String(32), nullable=False),
    Column("caller_masked", String(16), nullable=True),
    Column("text", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    # A text to a number that is on no ticket yet (a citizen's one-time code), encrypted.
    Column("recipient_cipher", Text, nullable=True),
    Index("ix_sms_due", "next_attempt_at", sqlite_where=_PENDING, postgresql_where=_PENDING),
    Index("ix_sms_created_at", "created_at"),
)

# City apps that may post Open311 requests: one key each, stored only as its SHA-256.
open311_clients = Table(
    "open311_clients",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("contact", String(200), nullable=False, server_default=""),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("key_hint", String(16), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revoked_by", String(64), nullable=True),
)

# The email inbox. One row per mailbox: which UID generation was read last and which intake
# instance holds the mailbox (a lease, so one poller reads it at a time).
mail_mailboxes = Table(
    "mail_mailboxes",
    metadata,
    Column("mailbox", String(200), primary_key=True),
    Column("holder", String(64), nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
)

# Every message read, by its place in the mailbox (UID validity + UID) and its Message-ID
# (or a digest of the message when it has none): a message read again, or delivered twice,
# becomes no second ticket. The sender's address is kept like a caller's number: encrypted,
# masked, and never in an event.
mail_messages = Table(
    "mail_messages",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("mailbox", String(200), nullable=False),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("uid", BigInteger, nullable=False),
    Column("message_id", String(300), nullable=False, index=True),
    Column("state", String(16), nullable=False),  # ticket, duplicate, automatic, failed
    Column("ticket_id", String(32), nullable=True),
    Column("sender_masked", String(120), nullable=True),
    Column("sender_key", String(64), nullable=True, index=True),
    Column("sender_cipher", Text, nullable=True),
    Column("note", Text, nullable=True),
    Column("received_at", UtcDateTime, nullable=False),
    UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_mail_message_place"),
)

_MAIL_PENDING = text("status = 'pending'")

# Answers to citizens' mail, queued in the transaction that made the ticket (an outbox) and
# sent by a worker; the body is written when sent, so no tracking link is kept here.
mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("mail_id", String(32), nullable=False, unique=True),
    Column("ticket_id", String(32), nullable=False),
    Column("ticket_number", String(16), nullable=False),
    Column("to_masked", String(120), nullable=False),
    Column("to_cipher", Text, nullable=True),
    Column("subject", String(500), nullable=False),
    Column("in_reply_to", String(300), nullable=True),
    Column("status", String(16), nullable=False),  # pending, sent, failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    # The instance whose sender claimed it last: restarted, it takes its claims back at once.
    Column("claimed_by", String(64), nullable=True),
    Index(
        "ix_mail_outbox_due",
        "next_attempt_at",
        sqlite_where=_MAIL_PENDING,
        postgresql_where=_MAIL_PENDING,
    ),
)

# Photos from citizens and field staff, re-encoded without metadata (services/intake/domain/
# photos.py). Unattached ones (uploaded, never sent with a report) are purged after a day.
_UNATTACHED = text("ticket_id IS NULL")
photos = Table(
    "photos",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("ticket_id", String(32), nullable=True, index=True),
    Column("content_type", String(32), nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("thumbnail", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("attached_at", UtcDateTime, nullable=True),
    Index(
        "ix_photos_unattached_created_at",
        "created_at",
        sqlite_where=_UNATTACHED,
        postgresql_where=_UNATTACHED,
    ),
)

# The citizen portal. One-time codes texted to a number: for reporting (then a proof of the
# verified number, good for one report) or for following a ticket by its number. Code and
# proof are kept only as hashes; the number and the client address as keyed hashes.
portal_codes = Table(
    "portal_codes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("purpose", String(8), nullable=False),  # report, track
    Column("phone_key", String(64), nullable=False),
    Column("client_key", String(64), nullable=False),
    Column("ticket_id", String(32), nullable=True),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("verified_at", UtcDateTime, nullable=True),
    Column("proof_hash", String(64), nullable=True, unique=True),
    Column("used_at", UtcDateTime, nullable=True),
    Index("ix_portal_codes_phone_at", "phone_key", "created_at"),
    Index("ix_portal_codes_client_at", "client_key", "created_at"),
)

# A ticket's tracking links issued before `revoked_at` no longer open it.
tracking_revocations = Table(
    "tracking_revocations",
    metadata,
    Column("ticket_id", String(32), primary_key=True),
    Column("revoked_at", UtcDateTime, nullable=False),
)

# What the citizen sees of a ticket after it was accepted: only citizen-safe facts, one row
# per event that made one (the event id keeps a redelivery from adding it twice).
citizen_timeline = Table(
    "citizen_timeline",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("ticket_id", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("department", String(200), nullable=True),
    Column("text", Text, nullable=True),
    Column("photos", JSON, nullable=False),
    Index("ix_citizen_timeline_ticket_at", "ticket_id", "at"),
)

# Callers (by the keyed hash of their number) who asked for no more milestone texts.
text_optouts = Table(
    "text_optouts",
    metadata,
    Column("caller_key", String(64), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
)

# Portal reports whose citizen asked that departments not get their number.
hidden_numbers = Table(
    "hidden_numbers",
    metadata,
    Column("ticket_id", String(32), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
)

# The category suggester's models, each version with what it learned from, how it did on
# the held-out tickets, and whether it is the one serving (at most one is).
suggester_models = Table(
    "suggester_models",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(150), nullable=False),
    Column("source", String(300), nullable=False),
    Column("trained_on", Integer, nullable=False),
    Column("evaluation", JSON, nullable=False),
    Column("model", LargeBinary, nullable=False),
    Column("serving", Boolean, nullable=False, server_default=false()),
)

outbox_table(metadata)
inbox_table(metadata)
# Changes that take effect from a date (services/common/scheduled.py).
scheduled_changes = scheduled_table(metadata)
session_tables(metadata)
idempotency_table(metadata)

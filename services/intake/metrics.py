"""Intake's own metrics (names hotline_intake_*, base units, no ids or numbers as labels)."""

from __future__ import annotations

from typing import get_args

from prometheus_client import Counter, Gauge, Histogram

from proto.vocabulary import Channel, RequestType

CALLS = Counter(
    "hotline_intake_calls_total",
    "Calls logged, by channel, request type and outcome (created, attached, answered)",
    ["channel", "request_type", "outcome"],
)
DUPLICATES_ATTACHED = Counter(
    "hotline_intake_duplicates_attached_total", "Calls attached to an existing open ticket"
)
DIRECT_ANSWERS = Counter(
    "hotline_intake_direct_answers_total", "Consultations answered at intake (直接答复)"
)
SUPERVISION_RAISED = Counter(
    "hotline_intake_supervision_raised_total", "Tickets raised for supervision by repeat calls"
)
FORM_SECONDS = Histogram(
    "hotline_intake_form_fill_seconds",
    "Time from opening the call form to submitting it, as the console reports it",
    buckets=(15, 30, 45, 60, 90, 120, 180, 300, 600),
)
DUPLICATE_LOOKUP_SECONDS = Histogram(
    "hotline_intake_duplicate_lookup_seconds",
    "Time to find likely duplicates of a call being logged",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)
PHONE_REVEALS = Counter(
    "hotline_phone_reveals_total",
    "Attempts to see a caller's number in clear, by outcome (revealed, refused)",
    ["outcome"],
)
NUMBERS_ERASED = Counter(
    "hotline_intake_numbers_erased_total",
    "Calls or tickets whose callers' numbers were erased, by cause (retention, request)",
    ["cause"],
)
# Series exist at zero from the start, so rate() and alerts see the first reveal or refusal.
for _outcome in ("revealed", "refused"):
    PHONE_REVEALS.labels(_outcome)
for _cause in ("retention", "request"):
    NUMBERS_ERASED.labels(_cause)
SMS = Counter(
    "hotline_intake_sms_total",
    "Texts by outcome: sent, retry (a failed attempt to try again), failed, no_number",
    ["outcome"],
)
# Every channel's series from start-up (a dashboard's volume by channel, a rule on the email
# or app channel); "answered" is only ever a consultation's outcome.
for _channel in get_args(Channel):
    for _type in get_args(RequestType):
        for _outcome in ("created", "attached", *(("answered",) * (_type == "consultation"))):
            CALLS.labels(_channel, _type, _outcome)
RATE_LIMITED = Counter(
    "hotline_intake_rate_limited_total",
    "Public requests refused (429) for coming too often from one address, by route group",
    ["scope"],
)
for _scope in ("portal", "media", "open311"):
    RATE_LIMITED.labels(_scope)

# The email inbox (docs/email-inbox.md).
MAIL_MESSAGES = Counter(
    "hotline_mail_messages_total",
    "Messages read from the citizens' mailbox, by outcome: ticket, duplicate (a Message-ID "
    "read before), automatic (auto-reply, bounce: no ticket, no answer), failed",
    ["outcome"],
)
MAIL_REPLIES = Counter(
    "hotline_mail_replies_total",
    "Answers to citizens' mail by outcome: sent, retried (a failed attempt to try again), "
    "failed (given up)",
    ["outcome"],
)
for _outcome in ("ticket", "duplicate", "automatic", "failed"):
    MAIL_MESSAGES.labels(_outcome)
for _outcome in ("sent", "retried", "failed"):
    MAIL_REPLIES.labels(_outcome)
MAIL_REPLIES_WAITING = Gauge(
    "hotline_mail_replies_waiting",
    "Answers to citizens' mail not yet sent nor given up (due, claimed or backing off)",
)
MAIL_LAST_READ = Gauge(
    "hotline_mail_last_read_timestamp_seconds",
    "When this instance last read the mailbox through (Unix time); set to its start when a "
    "mailbox is configured, 0 when none is",
)

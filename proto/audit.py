"""Events every service publishes on `hotline.audit`: configuration changes (catalogue,
knowledge, routing rules, departments, SLA policies, the calendar, notice settings, …) and
accesses to personal data (a phone number revealed, an export, an erasure). They concern no
ticket: the envelope's subject (its `ticket_id` field and the partition key) is
`config:<kind>` or `privacy:<action>`, so one kind's changes stay in order. Search keeps them
as the audit log (留痕 of the centre's own decisions)."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, Field

from proto.envelope import Event

AUDIT = "hotline.audit"
ACCOUNT_MAX = 150


class ConfigurationChanged(Event):
    """An admin changed (or scheduled, or cancelled a scheduled change of) one piece of
    configuration. `before`/`after` are the whole record as its owner shows it (null when it
    did not exist / no longer exists), so a reader can show the diff without the owner."""

    TYPE = "ConfigurationChanged"
    TOPIC = AUDIT

    kind: str = Field(
        max_length=40,
        description="category, knowledge, routing_rule, department, sla_policy, calendar, "
        "notice_settings, …",
    )
    key: str = Field(max_length=200, description="Which record of that kind (its code or id)")
    action: str = Field(
        max_length=40,
        description="create, change, move, retire, restore, delete, merge, import, schedule, "
        "cancel, apply, …",
    )
    version: int | None = Field(
        default=None, ge=0, description="The owner's version of that kind after the change"
    )
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    summary: str = Field(default="", max_length=500, description="One line for people")
    effective_at: AwareDatetime | None = Field(
        default=None, description="When the change takes effect when not at once"
    )
    by: str = Field(max_length=ACCOUNT_MAX, description="The account that made the change")
    at: AwareDatetime


class PersonalDataAccessed(Event):
    """Someone saw, exported or erased a caller's personal data, or was refused. Never
    carries the data itself: only who, which ticket, what and why."""

    TYPE = "PersonalDataAccessed"
    TOPIC = AUDIT

    action: str = Field(max_length=16, description="reveal, export, erase or retention")
    outcome: str = Field(max_length=16, description="revealed, refused or done")
    reason: str = Field(default="", max_length=200)
    ticket_id: str | None = Field(default=None, max_length=64)
    ticket_number: str | None = Field(default=None, max_length=32)
    by: str = Field(max_length=ACCOUNT_MAX)
    at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (ConfigurationChanged, PersonalDataAccessed)

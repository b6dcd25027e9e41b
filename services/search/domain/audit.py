"""The audit log's entries, from the events on `hotline.audit`: what one row holds, the words
it is found by, how a page of entries continues. Pure: no I/O."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from proto.audit import ConfigurationChanged, PersonalDataAccessed
from proto.envelope import Envelope

CONFIGURATION = "configuration"
PERSONAL_DATA = "personal_data"
# The kind personal-data accesses are filed under, beside the kinds of configuration.
PERSONAL_DATA_KIND = "personal_data"
MAX_TERMS = 10

Row = dict[str, Any]


def entry(envelope: Envelope, event: ConfigurationChanged | PersonalDataAccessed) -> Row:
    """The row the audit log keeps for an event, keyed by the event's id."""
    if isinstance(event, ConfigurationChanged):
        row: Row = {
            "type": CONFIGURATION,
            "kind": event.kind,
            "key": event.key,
            "action": event.action,
            "summary": event.summary,
            "version": event.version,
            "effective_at": event.effective_at,
            "before": event.before,
            "after": event.after,
            "outcome": None,
            "reason": None,
            "ticket_id": None,
            "ticket_number": None,
        }
    else:
        row = {
            "type": PERSONAL_DATA,
            "kind": PERSONAL_DATA_KIND,
            "key": event.ticket_number or event.ticket_id or "",
            "action": event.action,
            "summary": "",
            "version": None,
            "effective_at": None,
            "before": None,
            "after": None,
            "outcome": event.outcome,
            "reason": event.reason,
            "ticket_id": event.ticket_id,
            "ticket_number": event.ticket_number,
        }
    row |= {
        "event_id": envelope.event_id,
        "by": event.by,
        "at": event.at,
        "producer": envelope.producer[:40],
    }
    row["text"] = words(row)
    return row


def words(row: Row) -> str:
    """What a text search looks in: the summary, key, account, kind, action, ticket, reason,
    outcome and every value (not field name) before and after, lower-cased, one per line."""
    fixed = ("summary", "key", "by", "kind", "action", "ticket_number", "reason", "outcome")
    found = [str(row[name]) for name in fixed if row.get(name)]
    found += [str(v) for side in ("before", "after") for v in _values(row.get(side))]
    return "\n".join(found).lower()


def _values(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _values(v)
    elif isinstance(value, list):
        for v in value:
            yield from _values(v)
    elif value is not None and value != "":
        yield value


def terms(q: str) -> list[str]:
    """The words of a text search, each to be found (all of them, anywhere, any case)."""
    return list(dict.fromkeys(q.lower().split()))[:MAX_TERMS]


def view(row: Row) -> Row:
    """An entry as the API shows it. A personal-data access names the ticket, the action,
    its outcome, the reason and who: the event carries no number, nor does this."""
    shown = {name: row[name] for name in VIEWED}
    shown["id"] = shown.pop("event_id")
    for name in ("at", "effective_at"):
        if shown[name] is not None:
            shown[name] = shown[name].isoformat()
    return shown


VIEWED = (
    "event_id", "type", "kind", "key", "action", "by", "at", "summary", "version",
    "effective_at", "before", "after", "outcome", "reason", "ticket_id", "ticket_number",
    "producer",
)  # fmt: skip


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last entry's time and id (newest first, ties by id)."""

    at: datetime
    event_id: str

    def cursor(self) -> str:
        text = json.dumps([self.at.isoformat(), self.event_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def of_cursor(cls, cursor: str) -> Position:
        """Raises ValueError for a cursor this module did not make."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            at, event_id = json.loads(raw)
            found = datetime.fromisoformat(at)
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as error:
            raise ValueError("bad cursor") from error
        if found.tzinfo is None or not isinstance(event_id, str) or not event_id:
            raise ValueError("bad cursor")
        return cls(found, event_id)


@dataclass(frozen=True)
class Filters:
    """What to list: every given filter must hold; `terms` all appear in `words`."""

    terms: tuple[str, ...] = ()
    kind: str | None = None
    key: str | None = None
    by: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive

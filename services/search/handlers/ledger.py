"""The ledger's use cases: enter each consumed event in the consumer's own transaction,
seal each closed day once, give a month's root, export, and check a ticket's chain.

`month_root(source, "YYYY-MM")` is what other use cases call (the month in public)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any, Protocol

from proto.envelope import Envelope
from services.common.clock import utcnow
from services.common.consumer import Handler
from services.common.db import UnitOfWork
from services.search.domain import ledger as domain
from services.search.domain.ledger import Checked, Mismatch, Seal

log = logging.getLogger(__name__)

# Off only in the benchmark that weighs what chaining costs the consumer; never a setting:
# a ledger that can be switched off records nothing worth trusting.
CHAINING = True
# A day is sealed this long after its midnight, so an entry recorded in its last instants
# by a transaction still committing is in it.
GRACE = timedelta(minutes=10)


class Ledger(Protocol):
    """The ledger's storage in one transaction (services/search/adapters/ledger.py)."""

    def chain(self, chain: str) -> list[dict[str, Any]]: ...
    def head(self, chain: str) -> Any: ...
    def day_hashes(self, day: date) -> list[tuple[int, str]]: ...
    def entries_between(self, start: datetime, end: datetime) -> Iterator[Any]: ...
    def first_recorded(self) -> datetime | None: ...
    def seals(self, start: date | None = None, end: date | None = None) -> list[Seal]: ...
    def sealed_days(self) -> set[date]: ...
    def add_seal(self, seal: Seal) -> bool: ...
    def commit(self) -> None: ...


Ledgers = Callable[[], AbstractContextManager[Ledger]]
# Stages an event (as a dict) in the ledger of the consumer's transaction.
Enter = Callable[[UnitOfWork, dict[str, Any]], None]


# --- entering ---


def chained(handler: Handler, enter: Enter) -> Handler:
    """`handler`, then the event entered in the ledger in the same transaction (so, with
    the consumer's inbox row: once per event however often it is delivered)."""

    def handle(uow: UnitOfWork, envelope: Envelope, event: Any) -> None:
        handler(uow, envelope, event)
        if CHAINING:
            enter(uow, envelope.model_dump(mode="json"))

    return handle


# --- the month's root ---


def month_root(ledgers: Ledgers, month: str) -> str | None:
    """The root of "YYYY-MM" (Asia/Shanghai), in hex: the RFC 6962 Merkle tree hash over the
    month's day roots in day order (docs/ledger.md). None while any day of the month is not
    sealed yet. ValueError when `month` is not YYYY-MM."""
    days = domain.month_days(month)
    with ledgers() as ledger:
        seals = ledger.seals(days[0], days[-1])
    if len(seals) != len(days):
        return None
    return domain.merkle_root([seal.root for seal in seals])


# --- sealing ---


class Sealer:
    """Seals every closed day not sealed yet (a worker step). Two instances may both work
    out a day's root; the day's key lets one store it, and only that one logs it."""

    def __init__(self, ledgers: Ledgers, clock: Callable[[], datetime] = utcnow):
        self._ledgers = ledgers
        self._clock = clock

    def step(self) -> int:
        today = domain.day_of(self._clock() - GRACE)
        with self._ledgers() as ledger:
            first = ledger.first_recorded()
            sealed = ledger.sealed_days()
        start = domain.day_of(first) if first else None
        return sum(1 for day in domain.days_to_seal(start, sealed, today) if self.seal(day))

    def seal(self, day: date) -> Seal | None:
        """Seals `day`; None when another instance did first."""
        with self._ledgers() as ledger:
            found = ledger.day_hashes(day)
            seal = Seal(
                day=day,
                root=domain.merkle_root([h for _, h in found]),
                entries=len(found),
                first_sequence=found[0][0] if found else None,
                last_sequence=found[-1][0] if found else None,
                sealed_at=utcnow(),
            )
            stored = ledger.add_seal(seal)
            ledger.commit()
        if not stored:
            return None
        log.info("ledger day sealed", extra={"fields": {"ledger_seal": seal.as_json()}})
        return seal


class LedgerBook:
    """What the admin pages read: the seals, and one ticket's chain with its corrections."""

    def __init__(self, ledgers: Ledgers) -> None:
        self._ledgers = ledgers

    def seals(self, limit: int) -> list[dict[str, Any]]:
        """The newest `limit` seals, newest first."""
        with self._ledgers() as ledger:
            seals = ledger.seals()
        return [seal.as_json() for seal in reversed(seals[-limit:])]

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        """The ticket's chain, oldest first (a correction names the entry it corrects), and
        whether it verifies now."""
        with self._ledgers() as ledger:
            rows = ledger.chain(domain.ticket_chain(ticket_id))
        checked = verify_ticket(self._ledgers, ticket_id)
        entries = [
            {
                "sequence": row["sequence"],
                "position": row["position"],
                "event_id": row["event_id"],
                "type": row["type"],
                "occurred_at": row["occurred_at"].isoformat(),
                "recorded_at": row["recorded_at"].isoformat(),
                "hash": row["hash"],
                "prev_hash": row["prev_hash"],
                "corrects": row["corrects"],
            }
            for row in rows
        ]
        problem = None if checked.mismatch is None else str(checked.mismatch)
        return {
            "ticket_id": ticket_id,
            "entries": entries,
            "verified": checked.ok,
            "problem": problem,
        }


# --- export and checks ---


@dataclass(frozen=True)
class Scope:
    """What an export holds: one day, one month, one ticket's chain, or (none) everything."""

    day: date | None = None
    month: str | None = None
    ticket: str | None = None

    def as_json(self) -> dict[str, str]:
        found = {"day": self.day.isoformat() if self.day else None, "month": self.month}
        found["ticket"] = self.ticket
        return {k: v for k, v in found.items() if v}


def export(ledgers: Ledgers, scope: Scope, out: IO[str]) -> int:
    """Writes the entries in scope as JSON lines (docs/ledger.md), in sequence order, then
    the seals of the days they were recorded on; returns the count of entries."""
    header = {"ledger": {"format": 1, "exported_at": utcnow().isoformat(), **scope.as_json()}}
    out.write(json.dumps(header, ensure_ascii=False) + "\n")
    days: set[date] = set()
    count = 0
    with ledgers() as ledger:
        for row in _rows(ledger, scope):
            out.write(domain.entry_line(row.sequence, row.hash, row.prev_hash, row.content) + "\n")
            days.add(_day_of_content(row.content))
            count += 1
        seals = ledger.seals(*_sealed_span(scope, days))
    for seal in seals:
        if seal.day in days or scope.ticket is None:
            out.write(json.dumps({"seal": seal.as_json()}) + "\n")
    return count


def _sealed_span(scope: Scope, days: set[date]) -> tuple[date | None, date | None]:
    """The days whose seals an export carries: its day's, its month's (empty days too), or
    those of the days its entries were recorded on."""
    if scope.day is not None:
        return scope.day, scope.day
    if scope.month is not None:
        month = domain.month_days(scope.month)
        return month[0], month[-1]
    if scope.ticket is not None and not days:
        return date.max, date.min  # none
    return (min(days), max(days)) if scope.ticket is not None else (None, None)


def _rows(ledger: Ledger, scope: Scope) -> Iterator[Any]:
    if scope.ticket is not None:
        for row in ledger.chain(domain.ticket_chain(scope.ticket)):
            yield _Row(row["sequence"], row["hash"], row["prev_hash"], row["content"])
        return
    if scope.day is not None:
        start, end = domain.day_bounds(scope.day)
    elif scope.month is not None:
        days = domain.month_days(scope.month)
        start, end = domain.day_bounds(days[0])[0], domain.day_bounds(days[-1])[1]
    else:
        start, end = datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)
    yield from ledger.entries_between(start, end)


@dataclass(frozen=True)
class _Row:
    sequence: int
    hash: str
    prev_hash: str
    content: str


def _day_of_content(content: str) -> date:
    at = datetime.strptime(content[-29:-2], domain.RECORDED_FORMAT).replace(tzinfo=UTC)
    return domain.day_of(at)


def verify_file(stream: IO[bytes]) -> Checked:
    """Checks an export read from `stream` (see `domain.ledger.verify_lines`)."""
    chunks = iter(lambda: stream.read(1 << 20), b"")
    return domain.verify_lines(domain.iter_lines(chunks))


def verify_ticket(ledgers: Ledgers, ticket_id: str) -> Checked:
    """Checks one ticket's chain in the database: every stored column against the hashed
    content, every hash and link, the chain's head, and the root of every sealed day the
    chain has entries on (over all that day's entries)."""
    chain = domain.ticket_chain(ticket_id)
    with ledgers() as ledger:
        rows = ledger.chain(chain)
        checked = domain.check_chain(chain, rows, ledger.head(chain))
        if not checked.ok:
            return checked
        for seal in ledger.seals(*_span(rows)) if rows else []:
            if seal.day not in {domain.day_of(row["recorded_at"]) for row in rows}:
                continue
            found = ledger.day_hashes(seal.day)
            mismatch = domain.check_seal(seal, [h for _, h in found])
            if mismatch is not None:
                checked.mismatch = mismatch
                return checked
            checked.days += 1
    return checked


def _span(rows: list[dict[str, Any]]) -> tuple[date, date]:
    days = [domain.day_of(row["recorded_at"]) for row in rows]
    return min(days), max(days)


__all__ = [
    "Checked",
    "LedgerBook",
    "Mismatch",
    "Scope",
    "Sealer",
    "chained",
    "month_root",
    "verify_ticket",
]

"""The ledger's tables (`ledger_entries`, `ledger_heads`, `ledger_seals` in `orm`), on SQLite
and PostgreSQL alike.

Entries are added at the end of the consumer's transaction, all of a batch at once: the
heads of the chains they extend are locked in name order (`FOR UPDATE` on PostgreSQL; SQLite
has one writer, and the consumer has written its inbox row before this runs), so two
instances never fork a chain and never wait on each other in a circle."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from services.common.clock import utcnow
from services.common.db import UnitOfWork, upsert
from services.search.adapters.orm import ledger_entries, ledger_heads, ledger_seals
from services.search.domain import ledger as domain
from services.search.domain.ledger import GENESIS, Earlier, Seal

_E, _H, _S = ledger_entries.c, ledger_heads.c, ledger_seals.c
_INSERT = insert(ledger_entries)
_MOVE_HEAD = (
    update(ledger_heads)
    .where(_H.chain == bindparam("b_chain"))
    .values(position=bindparam("b_position"), hash=bindparam("b_hash"))
)


@dataclass
class Head:
    position: int
    hash: str


def ledgers(
    sessions: Callable[[], AbstractContextManager[Session]],
) -> Callable[[], AbstractContextManager[SqlLedger]]:
    """A ledger per session of `sessions` (one transaction each; `commit` to keep writes)."""

    @contextmanager
    def opened() -> Iterator[SqlLedger]:
        with sessions() as session:
            yield SqlLedger(session)

    return opened


def enter(uow: UnitOfWork, event: dict[str, Any]) -> None:
    """Stages `event` in the ledger of `uow`'s transaction; all staged in it are entered just
    before it commits (one lock of their heads, one insert)."""
    info = uow.session.info
    ledger: SqlLedger | None = info.get("ledger")
    if ledger is None:
        ledger = info["ledger"] = SqlLedger(uow.session)
    if ledger.stage(event):
        uow.before_commit.append(ledger.flush_staged)


class SqlLedger:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._pending: list[dict[str, Any]] = []

    # --- adding ---

    def stage(self, event: dict[str, Any]) -> bool:
        """Keeps an envelope (as a dict) to be entered by `flush`; True for the first one
        since the last flush (the caller then arranges the flush)."""
        self._pending.append(event)
        return len(self._pending) == 1

    def flush_staged(self) -> None:
        self.flush()

    def commit(self) -> None:
        self.session.commit()

    def flush(self) -> int:
        """Enters the staged events at the ends of their chains; returns how many."""
        pending, self._pending = self._pending, []
        if not pending:
            return 0
        chains = [domain.chain_of(event) for event in pending]
        heads = self._lock_heads(sorted(set(chains)))
        moved: set[str] = set()
        now = utcnow()
        rows: list[dict[str, Any]] = []
        for chain, event in zip(chains, pending, strict=True):
            head = heads[chain]
            corrects = None
            if event["type"] in domain.CORRECTING:
                corrects = domain.corrected(event, self._earlier(chain, rows))
            position = head.position + 1
            content = domain.content_of(chain, position, now, corrects, event)
            hash_ = domain.entry_hash(head.hash, content)
            rows.append(
                {
                    "chain": chain,
                    "position": position,
                    "event_id": event["event_id"],
                    "type": event["type"],
                    "occurred_at": datetime.fromisoformat(event["occurred_at"]),
                    "recorded_at": now,
                    "corrects": corrects,
                    "prev_hash": head.hash,
                    "hash": hash_,
                    "content": content,
                }
            )
            heads[chain] = Head(position, hash_)
            moved.add(chain)
        self.session.execute(_INSERT, rows)
        self.session.execute(
            _MOVE_HEAD,
            [
                {"b_chain": c, "b_position": heads[c].position, "b_hash": heads[c].hash}
                for c in moved
            ],
        )
        return len(rows)

    def _lock_heads(self, chains: list[str]) -> dict[str, Head]:
        found = self._heads(chains)
        missing = [c for c in chains if c not in found]
        if missing:
            dialect = self.session.get_bind().dialect.name
            new = [{"chain": c, "position": 0, "hash": GENESIS} for c in missing]
            self.session.execute(upsert(dialect, ledger_heads).on_conflict_do_nothing(), new)
            found |= self._heads(missing)
        return found

    def _heads(self, chains: list[str]) -> dict[str, Head]:
        query = (
            select(_H.chain, _H.position, _H.hash)
            .where(_H.chain.in_(chains))
            .order_by(_H.chain)
            .with_for_update()
        )
        return {row.chain: Head(row.position, row.hash) for row in self.session.execute(query)}

    def _earlier(self, chain: str, staged: list[dict[str, Any]]) -> list[Earlier]:
        """The chain's entries so far, oldest first, with those staged in this flush."""
        query = select(_E.hash, _E.content).where(_E.chain == chain).order_by(_E.position)
        stored = [(row.hash, row.content) for row in self.session.execute(query)]
        stored += [(row["hash"], row["content"]) for row in staged if row["chain"] == chain]
        earlier = []
        for hash_, content in stored:
            event = json.loads(content)["event"]
            earlier.append(Earlier(hash_, event["type"], event["payload"]))
        return earlier

    # --- reading ---

    def chain(self, chain: str) -> list[dict[str, Any]]:
        query = select(ledger_entries).where(_E.chain == chain).order_by(_E.position)
        return [dict(row) for row in self.session.execute(query).mappings()]

    def head(self, chain: str) -> Head | None:
        row = self.session.execute(select(_H.position, _H.hash).where(_H.chain == chain)).first()
        return Head(row.position, row.hash) if row else None

    def day_hashes(self, day: date) -> list[tuple[int, str]]:
        """(sequence, hash) of the day's entries (Asia/Shanghai, by recorded_at), in order."""
        start, end = domain.day_bounds(day)
        query = (
            select(_E.sequence, _E.hash)
            .where(_E.recorded_at >= start, _E.recorded_at < end)
            .order_by(_E.sequence)
        )
        return [(row.sequence, row.hash) for row in self.session.execute(query)]

    def entries_between(self, start: datetime, end: datetime) -> Iterator[Any]:
        """Rows (sequence, hash, prev_hash, content) recorded in [start, end), in order,
        streamed."""
        query = (
            select(_E.sequence, _E.hash, _E.prev_hash, _E.content)
            .where(_E.recorded_at >= start, _E.recorded_at < end)
            .order_by(_E.sequence)
            .execution_options(yield_per=5000)
        )
        yield from self.session.execute(query)

    def first_recorded(self) -> datetime | None:
        found: datetime | None = self.session.execute(select(func.min(_E.recorded_at))).scalar_one()
        return found

    # --- seals ---

    def seals(self, start: date | None = None, end: date | None = None) -> list[Seal]:
        """Seals of days in [start, end] (all when not given), by day."""
        query = select(ledger_seals).order_by(_S.day)
        if start is not None:
            query = query.where(_S.day >= start)
        if end is not None:
            query = query.where(_S.day <= end)
        return [Seal(**row) for row in self.session.execute(query).mappings()]

    def sealed_days(self) -> set[date]:
        return set(self.session.execute(select(_S.day)).scalars())

    def add_seal(self, seal: Seal) -> bool:
        """Stores the seal unless its day has one; True when this call stored it."""
        dialect = self.session.get_bind().dialect.name
        row = {
            "day": seal.day,
            "root": seal.root,
            "entries": seal.entries,
            "first_sequence": seal.first_sequence,
            "last_sequence": seal.last_sequence,
            "sealed_at": seal.sealed_at,
        }
        statement = upsert(dialect, ledger_seals).values(row).on_conflict_do_nothing()
        return self.session.execute(statement.returning(_S.day)).first() is not None

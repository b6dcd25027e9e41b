"""Engines and the unit of work: one use case, one transaction, events in the same one."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar, overload

from sqlalchemy import Engine, Insert, MetaData, Table, create_engine, event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from proto.envelope import Envelope, Event
from proto.registry import encode
from services.common.logs import correlation_id
from services.common.messaging_tables import outbox_table


def make_engine(url: str) -> Engine:
    """SQLite files get WAL and a busy timeout, since a relay and consumers write beside the API."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    connection_class = _writer_connection(str(Path(parsed.database or ":memory:").resolve()))
    connect_args = {"check_same_thread": False, "timeout": 30, "factory": connection_class}
    engine = create_engine(url, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a 201 promises the call is stored, power cut or not (WAL makes it one fsync).
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "before_cursor_execute")
    def _writer_first(conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip()[:6].upper().startswith(("SELECT", "PRAGMA")):
            conn.connection.dbapi_connection.hold_writer()

    return engine


class _WriterConnection(sqlite3.Connection):
    """A connection that takes its file's in-process writer lock before its first write and
    gives it back when the transaction ends.

    SQLite has one writer per file. Writers queued on a lock are woken the moment it is
    free; left to SQLite's busy handler they would sleep and poll (up to 100 ms a nap),
    which under a burst of calls gave seconds of latency with the CPU half idle.
    """

    writer: threading.Lock
    holding = False

    def hold_writer(self) -> None:
        if not self.holding:
            self.writer.acquire()
            self.holding = True

    def _let_go(self) -> None:
        if self.holding:
            self.holding = False
            self.writer.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go()


@cache
def _writer_connection(path: str) -> type[_WriterConnection]:
    """One lock per database file, shared by every engine on it in this process."""
    return type("WriterConnection", (_WriterConnection,), {"writer": threading.Lock()})


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def upsert(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` that takes `ON CONFLICT` clauses, for `dialect` (the two
    databases Hotline runs on spell them alike)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# Set by a request whose effect must carry a record of its own (its idempotency key): each
# unit of work that commits within the request calls it inside its transaction.
joining: ContextVar[Callable[[UnitOfWork], None] | None] = ContextVar("joining", default=None)


class UnitOfWork:
    """Rolls back unless `commit()` is called; `publish()` writes to the outbox in the same
    transaction as the state change, so an event exists exactly when its change does."""

    def __init__(self, sessions: sessionmaker[Session], metadata: MetaData, producer: str):
        self._sessions = sessions
        self.metadata = metadata
        self._outbox = outbox_table(metadata)
        self.producer = producer
        self._session: Session | None = None
        # Work that must happen inside the transaction, just before it commits (e.g. one bulk
        # write to a search index for all the documents a batch of events changed).
        self.before_commit: list[Callable[[], None]] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        self._session = self._sessions()
        self.attach(self._session)
        return self

    def attach(self, session: Session) -> None:
        """A service's unit of work builds its repositories on the new session here."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        self.before_commit.clear()
        session.rollback()
        session.close()
        self._session = None

    def commit(self) -> None:
        for hook in self.before_commit:
            hook()
        self.before_commit.clear()
        join = joining.get()
        if join is not None:
            join(self)
        self.session.commit()

    def publish(self, event: Event, *, ticket_id: str, occurred_at: Any = None) -> Envelope:
        envelope, row = self._outbox_row(event, ticket_id, occurred_at)
        self.session.execute(_insert_into(self._outbox), row)
        return envelope

    def publish_all(
        self, events: Sequence[tuple[Event, str]], *, occurred_at: Any = None
    ) -> list[Envelope]:
        """`publish` for many (event, ticket id) pairs in one statement: the same rows, for
        use cases that record hundreds of events in one transaction (e.g. a scheduler)."""
        made = [self._outbox_row(event, ticket_id, occurred_at) for event, ticket_id in events]
        if made:
            self.session.execute(_insert_into(self._outbox), [row for _, row in made])
        return [envelope for envelope, _ in made]

    def _outbox_row(
        self, event: Event, ticket_id: str, occurred_at: Any
    ) -> tuple[Envelope, dict[str, Any]]:
        envelope = Envelope.wrap(
            event, producer=self.producer, ticket_id=ticket_id, correlation_id=correlation_id.get()
        )
        if occurred_at is not None:
            envelope = envelope.model_copy(update={"occurred_at": occurred_at})
        row = {
            "event_id": envelope.event_id,
            "topic": event.TOPIC,
            "key": ticket_id,
            "payload": encode(envelope).decode(),
            "headers": json.dumps(
                {"type": envelope.type, "correlation_id": envelope.correlation_id}
            ),
            "created_at": envelope.occurred_at,
        }
        return envelope, row


@cache
def _insert_into(table: Table) -> Insert:
    # One statement object per table, so SQLAlchemy's compiled cache is hit on every call.
    return insert(table)


UnitOfWorkFactory = Callable[[], UnitOfWork]
U = TypeVar("U", bound=UnitOfWork)


@overload
def uow_factory(engine: Engine, metadata: MetaData, producer: str) -> UnitOfWorkFactory: ...


@overload
def uow_factory(
    engine: Engine, metadata: MetaData, producer: str, kind: Callable[..., U]
) -> Callable[[], U]: ...


def uow_factory(
    engine: Engine, metadata: MetaData, producer: str, kind: Callable[..., Any] = UnitOfWork
) -> Callable[[], Any]:
    """`kind` is a service's unit of work, which attaches its repositories to the session."""
    sessions = sessionmaker(engine, expire_on_commit=False)
    return lambda: kind(sessions, metadata, producer)

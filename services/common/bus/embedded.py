"""The embedded bus: a durable log in one SQLite file shared by the local processes.

Every record gets a global autoincrement id, which serves as its offset; each topic is a
single partition (0), so the log order is the delivery order and per-key order holds
trivially. A group's position per topic is the offset of the last record it committed.

Members of one group do not split the work as Kafka partitions would: each subscription
reads from the group's committed position on. Consumers are idempotent (inbox table),
so a second member only repeats work, it never loses any.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from services.common.bus import BusError, Message, Record

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    headers TEXT NOT NULL,
    appended_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS records_topic_id ON records (topic, id);
CREATE TABLE IF NOT EXISTS positions (
    grp TEXT NOT NULL,
    topic TEXT NOT NULL,
    committed INTEGER NOT NULL,
    PRIMARY KEY (grp, topic)
);
"""
BUSY_TIMEOUT_MS = 10_000
# Short enough that an event crosses processes within a few tens of ms, long enough that an
# idle consumer costs next to nothing.
POLL_INTERVAL_S = 0.025


def _connect(path: Path) -> sqlite3.Connection:
    """Opens `path` in autocommit mode; transactions are begun explicitly where needed."""
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # WAL lets readers in other processes go on while one process appends. FULL syncs each
    # commit: an append is the broker's acknowledgement, after which the relay forgets the
    # outbox row, so it must survive a power cut too (a batch costs one fsync).
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


class _Connection:
    """One SQLite connection shared by the threads of one object, one statement at a time."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        try:
            self._conn = _connect(path)
            # Writers of every process queue on this file lock. They wake the moment it is
            # free; left to SQLite's busy handler they would sleep and poll (up to 100 ms
            # a nap), which under load left relays idle while rows piled up.
            self._writer = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
        except (sqlite3.Error, OSError) as exc:
            raise BusError(f"cannot open the bus file {path}: {exc}") from exc

    @contextmanager
    def use(self) -> Iterator[sqlite3.Connection]:
        """Yields the connection under the lock; any SQLite failure becomes a BusError."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise BusError(f"bus file: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Like `use`, inside a write transaction that is rolled back on any error."""
        with self.use() as conn:
            fcntl.flock(self._writer, fcntl.LOCK_EX)
            try:
                # IMMEDIATE takes the write lock up front, so busy_timeout applies to it
                # rather than failing at the first write inside a deferred transaction.
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            finally:
                fcntl.flock(self._writer, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            if self._writer >= 0:
                os.close(self._writer)
                self._writer = -1


def _committed(conn: sqlite3.Connection, group: str, topics: Sequence[str]) -> dict[str, int]:
    rows = conn.execute(
        f"SELECT topic, committed FROM positions WHERE grp = ? "
        f"AND topic IN ({','.join('?' * len(topics))})",
        (group, *topics),
    ).fetchall()
    found = dict(rows)
    return {topic: int(found.get(topic, 0)) for topic in topics}


class EmbeddedPublisher:
    """Appends messages to the log; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self._db = _Connection(path)

    def publish(self, messages: Sequence[Message]) -> None:
        """Appends all messages in one transaction: on return they are durable, in order."""
        if not messages:
            return
        now = time.time()
        rows = [
            (m.topic, m.key, m.value, json.dumps(m.headers, separators=(",", ":")), now)
            for m in messages
        ]
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO records (topic, key, value, headers, appended_at) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def close(self) -> None:
        self._db.close()


class EmbeddedSubscription:
    """Reads the log for one group from its committed position on."""

    def __init__(self, path: Path, group: str, topics: Sequence[str]) -> None:
        if not topics:
            raise ValueError("subscribe to at least one topic")
        self._db = _Connection(path)
        self._group = group
        self._topics = list(dict.fromkeys(topics))
        # Offsets handed out by this subscription but maybe not committed yet, so one poll
        # does not return what the previous one already did.
        self._handed_out: dict[str, int] = dict.fromkeys(self._topics, 0)

    def poll(self, timeout: float, max_records: int = 500) -> list[Record]:
        """Records after max(committed, handed out), by offset; [] after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            records = self._fetch(max_records)
            remaining = deadline - time.monotonic()
            if records or remaining <= 0:
                return records
            time.sleep(min(POLL_INTERVAL_S, remaining))

    def _fetch(self, limit: int) -> list[Record]:
        with self._db.use() as conn:
            committed = _committed(conn, self._group, self._topics)
            rows: list[tuple[int, str, str, bytes, str]] = []
            for topic in self._topics:
                after = max(committed[topic], self._handed_out[topic])
                rows += conn.execute(
                    "SELECT id, topic, key, value, headers FROM records "
                    "WHERE topic = ? AND id > ? ORDER BY id LIMIT ?",
                    (topic, after, limit),
                ).fetchall()
        rows.sort()
        records = [
            Record(topic, 0, offset, key, bytes(value), json.loads(headers))
            for offset, topic, key, value, headers in rows[:limit]
        ]
        for record in records:
            self._handed_out[record.topic] = record.offset
        return records

    def commit(self, records: Sequence[Record]) -> None:
        """Stores the highest offset per topic; a position never moves backwards."""
        last: dict[str, int] = {}
        for record in records:
            last[record.topic] = max(record.offset, last.get(record.topic, 0))
        if not last:
            return
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT INTO positions (grp, topic, committed) VALUES (?, ?, ?) "
                "ON CONFLICT (grp, topic) DO UPDATE "
                "SET committed = MAX(committed, excluded.committed)",
                [(self._group, topic, offset) for topic, offset in last.items()],
            )

    def lag(self) -> dict[str, int]:
        """Records after the group's committed position, per subscribed topic."""
        with self._db.use() as conn:
            committed = _committed(conn, self._group, self._topics)
            return {
                topic: conn.execute(
                    "SELECT count(*) FROM records WHERE topic = ? AND id > ?",
                    (topic, committed[topic]),
                ).fetchone()[0]
                for topic in self._topics
            }

    def rewind(self) -> None:
        """Forgets what was handed out: the next poll starts after the committed offsets."""
        self._handed_out = dict.fromkeys(self._topics, 0)

    def assignment(self) -> frozenset[tuple[str, int]]:
        """Every topic's one partition: a member of the embedded log is never left out."""
        return frozenset((topic, 0) for topic in self._topics)

    def positions(self) -> dict[tuple[str, int], int]:
        """The offset after the last record committed or handed out, per topic."""
        with self._db.use() as conn:
            committed = _committed(conn, self._group, self._topics)
        return {
            (topic, 0): max(committed[topic], self._handed_out[topic]) + 1 for topic in self._topics
        }

    def end_offsets(self) -> dict[tuple[str, int], int]:
        """The offset after each topic's last record (offsets are global: gaps are other
        topics' records)."""
        with self._db.use() as conn:
            return {
                (topic, 0): int(
                    conn.execute(
                        "SELECT max(id) FROM records WHERE topic = ?", (topic,)
                    ).fetchone()[0]
                    or 0
                )
                + 1
                for topic in self._topics
            }

    def close(self) -> None:
        self._db.close()


class EmbeddedBus:
    """The bus in the SQLite file at `path` (created with its folder when missing)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = _connect(self.path)
            try:
                conn.executescript(_SCHEMA)
            finally:
                conn.close()
        except (OSError, sqlite3.Error) as exc:
            raise BusError(f"cannot prepare the bus file {self.path}: {exc}") from exc

    def publisher(self) -> EmbeddedPublisher:
        return EmbeddedPublisher(self.path)

    def subscribe(self, group: str, topics: Sequence[str]) -> EmbeddedSubscription:
        return EmbeddedSubscription(self.path, group, topics)

    def ensure_topics(self, topics: Sequence[str]) -> None:
        """Nothing to do: a topic exists as soon as a record names it."""

    def ping(self) -> bool:
        """True when the bus file opens and holds the log."""
        try:
            uri = f"{self.path.resolve().as_uri()}?mode=rw"
            conn = sqlite3.connect(uri, uri=True, timeout=2)
            try:
                conn.execute("SELECT 1 FROM records LIMIT 1").fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            return False
        return True

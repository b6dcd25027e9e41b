"""`EmbeddedIndex`: the search index in a SQLite file of its own, with FTS5 full-text search.

Each document's text fields are turned into the terms Elasticsearch's `cjk` analyzer would make
(`domain.tokenize`) and stored space-separated in an FTS5 table whose `unicode61` tokenizer is
told to treat everything but white space as part of a term, so each term stays one FTS5 token.
A query becomes the AND of its quoted terms. That is how this adapter returns the same hits as
`ElasticIndex`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from services.search.adapters.index import (
    KEYWORD_FIELDS,
    Doc,
    SearchPage,
    check_filters,
    check_page,
    text_values,
    ticket_id_of,
)
from services.search.domain.tokenize import tokens

BATCH = 500
_DOCS = "search_docs"
_FTS = "search_terms"
# White space and control characters separate terms; everything a term can hold does not.
_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Co Cf'"

# Selective filters get an index; request type, urgency and channel have a handful of values
# each, where an index would cost every upsert more than it saves a search.
_INDEXED = ("status", "category_code", "area_code", "department_code")
# `id` is an INTEGER PRIMARY KEY so the FTS rowids pointing at it survive VACUUM, which may
# renumber the implicit rowid of a table keyed by text.
_SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS {_DOCS} (
        id INTEGER PRIMARY KEY,
        ticket_id TEXT NOT NULL UNIQUE,
        {", ".join(f"{name} TEXT" for name in KEYWORD_FIELDS)},
        created_ms INTEGER,
        body TEXT NOT NULL
    )""",
    *(f"CREATE INDEX IF NOT EXISTS {_DOCS}_{name} ON {_DOCS} ({name})" for name in _INDEXED),
    f"CREATE INDEX IF NOT EXISTS {_DOCS}_created ON {_DOCS} (created_ms DESC, ticket_id)",
    f'CREATE VIRTUAL TABLE IF NOT EXISTS {_FTS} USING fts5(terms, tokenize="{_TOKENIZER}")',
]
_COLUMNS = ("ticket_id", *KEYWORD_FIELDS, "created_ms", "body")
_UPSERT = (
    f"INSERT INTO {_DOCS} ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)}) "
    f"ON CONFLICT (ticket_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS[1:])
    + " RETURNING id"
)
_ORDER = "created_ms DESC, ticket_id"


class EmbeddedIndex:
    """`SearchIndex` on SQLite FTS5; safe to share between threads (one lock, one connection)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # The index is a projection that can be rebuilt from the topics, so losing the last
        # commits to a power cut is acceptable; NORMAL spares an fsync per upsert.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")

    def ensure(self) -> None:
        with self._transaction() as db:
            for statement in _SCHEMA:
                db.execute(statement)

    def put(self, doc: Mapping[str, Any]) -> None:
        entry = _entry(doc)
        with self._transaction() as db:
            _write(db, *entry)

    def put_many(self, docs: Iterable[Mapping[str, Any]]) -> int:
        written = 0
        batches = iter(docs)
        while batch := list(islice(batches, BATCH)):
            # Analyzed before taking the lock, so searches wait only for the writes themselves.
            entries = [_entry(doc) for doc in batch]
            with self._transaction() as db:
                for entry in entries:
                    _write(db, *entry)
            written += len(entries)
        return written

    def get(self, ticket_id: str) -> Doc | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT body FROM {_DOCS} WHERE ticket_id = ?", (ticket_id,)
            ).fetchone()
        return None if row is None else _loads(row[0])

    def search(
        self,
        query: str,
        filters: Mapping[str, str] | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> SearchPage:
        chosen = check_filters(filters)
        check_page(limit, offset)
        plan = _plan(query, chosen)
        if plan is None:
            return SearchPage(total=0, hits=[])
        count_sql, page_sql, params = plan
        # One read transaction, so the total and the page come from the same snapshot.
        with self._transaction("BEGIN") as db:
            count = int(db.execute(count_sql, params).fetchone()[0])
            rows = db.execute(page_sql, [*params, limit, offset]).fetchall()
        return SearchPage(total=count, hits=[_loads(body) for (body,) in rows])

    def refresh(self) -> None:
        """Nothing to do: a committed write is visible to the next search."""

    def drop(self) -> None:
        with self._transaction() as db:
            db.execute(f"DROP TABLE IF EXISTS {_FTS}")
            db.execute(f"DROP TABLE IF EXISTS {_DOCS}")

    def ping(self) -> bool:
        try:
            with self._lock:
                self._db.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self, begin: str = "BEGIN IMMEDIATE") -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute(begin)
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")


def _entry(doc: Mapping[str, Any]) -> tuple[list[Any], str]:
    """The docs-table row of `doc` (in `_COLUMNS` order) and its space-separated terms."""
    row: list[Any] = [ticket_id_of(doc)]
    row += [_keyword(doc.get(name)) for name in KEYWORD_FIELDS]
    row += [_epoch_ms(doc.get("created_at")), json.dumps(doc, ensure_ascii=False)]
    terms = " ".join(term for value in text_values(doc) for term in tokens(value))
    return row, terms


def _write(db: sqlite3.Connection, row: list[Any], terms: str) -> None:
    (rowid,) = db.execute(_UPSERT, row).fetchone()
    db.execute(f"DELETE FROM {_FTS} WHERE rowid = ?", (rowid,))
    db.execute(f"INSERT INTO {_FTS} (rowid, terms) VALUES (?, ?)", (rowid, terms))


def _plan(query: str, chosen: dict[str, str]) -> tuple[str, str, list[Any]] | None:
    """(count SQL, page SQL, parameters) of a search; None when nothing can match."""
    where = [f"d.{name} = ?" for name in chosen]
    params: list[Any] = list(chosen.values())
    source, order = f"{_DOCS} d", _ORDER
    terms = tokens(query) if query.strip() else None
    if terms is not None:
        if not terms:
            return None  # only punctuation or stop words: Elasticsearch matches nothing either
        # CROSS JOIN makes the full-text match drive the loop; left to itself the planner
        # may walk a keyword index and re-run the match for every row it finds.
        source = f"{_FTS} f CROSS JOIN {_DOCS} d ON d.id = f.rowid"
        order = f"f.rank, {_ORDER}"
        where.insert(0, f"{_FTS} MATCH ?")
        params.insert(0, _match_expression(terms))
    condition = f"WHERE {' AND '.join(where)}" if where else ""
    count_sql = f"SELECT count(*) FROM {source} {condition}"
    if terms and not chosen:
        # Every term row has its document, so the match alone counts them, without the join.
        count_sql = f"SELECT count(*) FROM {_FTS} WHERE {_FTS} MATCH ?"
    page_sql = f"SELECT d.body FROM {source} {condition} ORDER BY {order} LIMIT ? OFFSET ?"
    return count_sql, page_sql, params


def _match_expression(terms: list[str]) -> str:
    # Quoted, each term is one FTS5 token whatever punctuation it holds; juxtaposition is AND.
    return " ".join('"' + term.replace('"', '""') + '"' for term in dict.fromkeys(terms))


def _keyword(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"  # how Elasticsearch indexes a boolean keyword
    return str(value)


def _epoch_ms(value: Any) -> int | None:
    """`created_at` as UTC milliseconds (Elasticsearch's date precision), None if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None  # Elasticsearch is told to ignore a malformed date the same way
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # Elasticsearch reads a date without offset as UTC
    # Integer arithmetic: a float timestamp can round .999 ms up into the next millisecond.
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _loads(body: str) -> Doc:
    doc: Doc = json.loads(body)
    return doc

"""`EmbeddedIndex`: the search index in a SQLite file of its own, with FTS5 full-text search.

Each document's text fields are turned into the terms Elasticsearch's `cjk` analyzer would make
(`domain.tokenize`) and stored space-separated in an FTS5 table whose `unicode61` tokenizer is
told to treat everything but white space as part of a term, so each term stays one FTS5 token.
Keyword values are stored there too, as key tokens (see `fts_query`). A documents table keeps
each document's single-valued keywords, dates (as UTC milliseconds) and counters in columns
for ranges, sorting, facets and sums, and a bodies table the documents themselves. That is
how this adapter returns the same hits, counts and buckets as `ElasticIndex`; searches are
run by `fts_read`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from services.search.adapters import fts_query as q
from services.search.adapters import fts_read
from services.search.adapters.index import (
    ADDED_FIELDS,
    DATE_FIELDS,
    FACET_FIELDS,
    KEYWORD_FIELDS,
    SUM_FIELDS,
    Doc,
    SearchRequest,
    SearchResult,
    check_request,
    keyword,
    text_values,
    ticket_id_of,
)
from services.search.domain.query import parse
from services.search.domain.tokenize import tokens

BATCH = 500
SCHEMA_VERSION = 4
# White space and control characters separate terms; everything a term can hold does not.
_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Co Cf'"
_DATE_COLUMNS = tuple(f"{name.removesuffix('_at')}_ms" for name in DATE_FIELDS)
_COLUMNS = ("ticket_id", *FACET_FIELDS, *_DATE_COLUMNS, *SUM_FIELDS)
# What the layout before this one (3) lacks: its index gains them and keeps answering.
_ADDED_COLUMNS = tuple(
    f"{name.removesuffix('_at')}_ms INTEGER" if name in DATE_FIELDS else f"{name} TEXT"
    for name in ADDED_FIELDS
)
# Selective filters are key tokens; these indexes serve sorting and date bounds on their own.
_SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS {q.DOCS} (
        id INTEGER PRIMARY KEY,
        ticket_id TEXT NOT NULL UNIQUE,
        {", ".join(f"{name} TEXT" for name in FACET_FIELDS)},
        {", ".join(f"{name} INTEGER" for name in _DATE_COLUMNS)},
        {", ".join(f"{name} INTEGER NOT NULL DEFAULT 0" for name in SUM_FIELDS)}
    )""",
    # Bodies apart: the rows that filters, facets and sorts read stay small and dense.
    f"CREATE TABLE IF NOT EXISTS {q.BODIES} (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {q.DOCS}_created ON {q.DOCS} (created_ms DESC, ticket_id)",
    f"CREATE INDEX IF NOT EXISTS {q.DOCS}_due ON {q.DOCS} (due_ms, ticket_id)",
    f"CREATE INDEX IF NOT EXISTS {q.DOCS}_resolved ON {q.DOCS} (resolved_ms)",
    f"CREATE INDEX IF NOT EXISTS {q.DOCS}_rated ON {q.DOCS} (rated_ms)",
    f'CREATE VIRTUAL TABLE IF NOT EXISTS {q.FTS} USING fts5(terms, tokenize="{_TOKENIZER}")',
]
# `id` is an INTEGER PRIMARY KEY so the FTS rowids pointing at it survive VACUUM.
_UPSERT = (
    f"INSERT INTO {q.DOCS} ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)}) "
    f"ON CONFLICT (ticket_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS[1:])
    + " RETURNING id"
)


class EmbeddedIndex:
    """`SearchIndex` on SQLite FTS5; safe to share between threads (one lock, one connection)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.name = path.name
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # The index is a projection that can be rebuilt from the topics, so losing the last
        # commits to a power cut is acceptable; NORMAL spares an fsync per upsert.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute("PRAGMA cache_size=-65536")  # 64 MiB: posting lists and hot pages

    def ensure(self) -> None:
        with self._transaction() as db:
            found = db.execute("PRAGMA user_version").fetchone()[0]
            if found == SCHEMA_VERSION - 1:
                for column in _ADDED_COLUMNS:
                    db.execute(f"ALTER TABLE {q.DOCS} ADD COLUMN {column}")
            elif found not in (0, SCHEMA_VERSION):
                # An index of an older layout: it is derived data, so start it again.
                for table in (q.FTS, q.DOCS, q.BODIES):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
                f"SELECT b.body FROM {q.DOCS} d JOIN {q.BODIES} b ON b.id = d.id "
                "WHERE d.ticket_id = ?",
                (ticket_id,),
            ).fetchone()
        return None if row is None else _loads(row[0])

    def search(self, request: SearchRequest) -> SearchResult:
        filters = check_request(request)
        parsed = parse(request.text)
        if parsed.matches_nothing:
            return SearchResult(total=0)
        plan = q.plan(request, parsed, filters)
        # One read transaction, so counts, buckets and the page come from the same snapshot.
        with self._transaction("BEGIN") as db:
            return fts_read.run(db, plan, request)

    def refresh(self) -> None:
        """Nothing to do: a committed write is visible to the next search."""

    def drop(self) -> None:
        with self._transaction() as db:
            for table in (q.FTS, q.DOCS, q.BODIES):
                db.execute(f"DROP TABLE IF EXISTS {table}")

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


Entry = tuple[list[Any], str, str]


def _entry(doc: Mapping[str, Any]) -> Entry:
    """The docs-table row of `doc` (in `_COLUMNS` order), its body, its terms and keys."""
    row: list[Any] = [ticket_id_of(doc)]
    row += [keyword(doc.get(name)) for name in FACET_FIELDS]
    row += [q.epoch_ms(doc.get(name)) for name in DATE_FIELDS]
    row += [_count(doc.get(name)) for name in SUM_FIELDS]
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    text = f" {q.GAP} ".join(_terms(value) for value in text_values(doc))
    keys = [q.key_token(name, value) for name in KEYWORD_FIELDS for value in _values(doc, name)]
    return row, body, f"{text} {q.GAP} {' '.join(keys)}"


@lru_cache(maxsize=65_536)
def _short_terms(value: str) -> str:
    return " ".join(tokens(value))


def _terms(value: str) -> str:
    # Names of categories and places repeat in every document: analyze each once.
    return _short_terms(value) if len(value) <= 24 else " ".join(tokens(value))


def _values(doc: Mapping[str, Any], name: str) -> list[str]:
    value = doc.get(name)
    items = value if isinstance(value, list) else [value]
    return [k for item in items if (k := keyword(item)) is not None]


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _write(db: sqlite3.Connection, row: list[Any], body: str, terms: str) -> None:
    (rowid,) = db.execute(_UPSERT, row).fetchone()
    db.execute(f"INSERT OR REPLACE INTO {q.BODIES} (id, body) VALUES (?, ?)", (rowid, body))
    db.execute(f"DELETE FROM {q.FTS} WHERE rowid = ?", (rowid,))
    db.execute(f"INSERT INTO {q.FTS} (rowid, terms) VALUES (?, ?)", (rowid, terms))


def _loads(body: str) -> Doc:
    doc: Doc = json.loads(body)
    return doc

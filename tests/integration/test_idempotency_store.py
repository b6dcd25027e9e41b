"""An idempotency key is stored by the unit of work that stores its effect, in the same
transaction, on SQLite and on PostgreSQL: both or neither, and of two requests racing with
one key, one effect."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, Engine, MetaData, String, Table, func, insert, select, text, update

from services.common.db import joining, make_engine, uow_factory
from services.common.idempotency import (
    PURGE_EVERY_SECONDS,
    RETENTION,
    Claim,
    KeyStore,
    Pending,
    idempotency_table,
)
from services.common.problems import Problem
from tests.support import peers

metadata = MetaData()
effects = Table("effects", metadata, Column("id", String(32), primary_key=True))
keys = idempotency_table(metadata)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('keys') / 'keys.db'}"
    else:
        request.applymarker(pytest.mark.peers)
        server: peers.Peer = request.getfixturevalue("postgres")
        name = f"keys_{uuid.uuid4().hex[:8]}"
        peers.create_databases(server, (name,))
        url = server.url.replace("{db}", name)
    made = make_engine(url)
    metadata.create_all(made)
    yield made
    made.dispose()


def _pending(engine: Engine, key: str = "k-0000001", print_: str = "f1") -> Pending:
    pending = Pending(KeyStore(engine, b"k" * 32))
    pending.claim = Claim("s" * 64, key, print_)
    return pending


def _effect(engine: Engine, pending: Pending, *, commit: bool = True) -> None:
    """One use case: writes an effect, with `pending`'s key joining its transaction."""
    token = joining.set(pending.join)
    try:
        with uow_factory(engine, metadata, "test")() as uow:
            uow.session.execute(insert(effects).values(id=uuid.uuid4().hex))
            if commit:
                uow.commit()
    finally:
        joining.reset(token)


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_key_commits_with_its_effect(engine: Engine) -> None:
    pending = _pending(engine)
    _effect(engine, pending)
    assert pending.claim is not None and pending.claim.recorded
    with engine.connect() as conn:
        row = conn.execute(select(keys)).one()
    assert (row.scope, row.key, row.fingerprint, row.status) == (
        "s" * 64,
        "k-0000001",
        "f1",
        None,
    )
    assert _count(engine, effects) == 1


def test_an_effect_rolled_back_leaves_no_key(engine: Engine) -> None:
    pending = _pending(engine)
    _effect(engine, pending, commit=False)
    assert pending.claim is not None and not pending.claim.recorded
    assert (_count(engine, keys), _count(engine, effects)) == (0, 0)


def test_a_second_effect_with_the_key_is_refused_and_rolled_back(engine: Engine) -> None:
    _effect(engine, _pending(engine))
    with pytest.raises(Problem) as refused:
        _effect(engine, _pending(engine))
    assert (refused.value.status, refused.value.code) == (409, "request.idempotency_in_flight")
    assert (_count(engine, keys), _count(engine, effects)) == (1, 1)


def test_one_request_committing_twice_stores_its_key_once(engine: Engine) -> None:
    pending = _pending(engine)
    _effect(engine, pending)
    _effect(engine, pending)
    assert (_count(engine, keys), _count(engine, effects)) == (1, 2)


def test_a_key_past_its_retention_is_taken_by_a_new_request(engine: Engine) -> None:
    _effect(engine, _pending(engine))
    old = datetime.now(UTC) - RETENTION - timedelta(minutes=1)
    with engine.begin() as conn:
        conn.execute(update(keys).values(created_at=old, status=201, body=b"{}"))
    _effect(engine, _pending(engine, print_="f2"))
    with engine.connect() as conn:
        row = conn.execute(select(keys)).one()
    assert (row.fingerprint, row.status, row.body) == ("f2", None, None)
    assert _count(engine, effects) == 2


def test_the_answer_is_kept_beside_the_key(engine: Engine) -> None:
    pending = _pending(engine)
    _effect(engine, pending)
    assert pending.claim is not None
    store = pending.keys
    store.keep(pending.claim, 201, [("content-type", "application/json")], b'{"id":"t1"}')
    stored = store.load(pending.claim)
    assert stored is not None
    assert (stored.status, stored.headers, stored.body) == (
        201,
        [("content-type", "application/json")],
        b'{"id":"t1"}',
    )


@pytest.mark.peers
def test_two_processes_racing_with_one_key_make_one_effect(
    postgres: peers.Peer,
) -> None:
    """Two service instances (two key stores, so no in-process guard) take the same key at
    once: the second waits on the first's uncommitted key, then is refused."""
    name = f"keys_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    engine = make_engine(postgres.url.replace("{db}", name))
    metadata.create_all(engine)
    first, second = _pending(engine), _pending(engine)
    assert first.keys is not second.keys
    release = threading.Event()
    try:
        with ThreadPoolExecutor(2) as pool:
            held = pool.submit(copy_context().run, _held_effect, engine, first, release)
            _wait_until_key_locked(engine, held)
            racing = pool.submit(copy_context().run, _effect, engine, second)
            _wait_until_waiting_on_lock(engine)
            release.set()
            held.result(30)
            with pytest.raises(Problem) as refused:
                racing.result(30)
    finally:
        release.set()
    assert refused.value.status == 409
    assert (_count(engine, keys), _count(engine, effects)) == (1, 1)
    engine.dispose()


def _held_effect(engine: Engine, pending: Pending, release: threading.Event) -> None:
    """Like `_effect`, but waits for `release` with its key written and not yet committed."""
    with uow_factory(engine, metadata, "test")() as uow:
        uow.session.execute(insert(effects).values(id=uuid.uuid4().hex))
        pending.join(uow)
        release.wait(30)
        uow.commit()


def _wait_until_key_locked(engine: Engine, held: Future[None]) -> None:
    _poll(
        engine,
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
        " WHERE c.relname = 'idempotency_keys' AND l.mode = 'RowExclusiveLock'",
        held,
    )


def _wait_until_waiting_on_lock(engine: Engine) -> None:
    _poll(engine, "SELECT count(*) FROM pg_locks WHERE NOT granted", None)


def _poll(engine: Engine, query: str, failing: Future[None] | None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if failing is not None and failing.done():
            failing.result()
        with engine.connect() as conn:
            if conn.execute(text(query)).scalar_one():
                return
        time.sleep(0.02)
    raise AssertionError(f"never true: {query}")


def test_storing_an_answer_now_and_then_forgets_keys_past_their_retention(engine: Engine) -> None:
    _effect(engine, _pending(engine, key="k-expired"))
    old = datetime.now(UTC) - RETENTION - timedelta(minutes=1)
    with engine.begin() as conn:
        conn.execute(update(keys).values(created_at=old))
    pending = _pending(engine, key="k-current")
    _effect(engine, pending)
    assert pending.claim is not None
    pending.keys.keep(pending.claim, 201, [], b"{}")
    assert _count(engine, keys) == 2  # purged at most every few minutes
    pending.keys.purged_at -= PURGE_EVERY_SECONDS
    pending.keys.keep(pending.claim, 201, [], b"{}")
    with engine.connect() as conn:
        assert conn.execute(select(keys.c.key)).scalars().all() == ["k-current"]

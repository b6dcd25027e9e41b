"""The ledger on PostgreSQL: two search instances adding to the same chains at the same
moment never fork one (each entry follows exactly one, positions without gaps), two sealing
workers seal a day once, and a row edited in the database makes `hotline verify` name it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from services.cli import app as cli
from services.common.db import make_engine
from services.common.migrations import upgrade
from services.search.adapters.ledger import SqlLedger, ledgers
from services.search.adapters.orm import ledger_entries, ledger_seals
from services.search.domain import ledger as domain
from services.search.handlers.ledger import Sealer
from tests.support import peers

pytestmark = pytest.mark.peers
T = TypeVar("T")
CHAINS = ("ticket:pg-a", "ticket:pg-b", "ticket:pg-c")
ROUNDS = 12


@pytest.fixture(scope="module")
def database(postgres: peers.Peer) -> Iterator[tuple[str, Engine]]:
    name = f"search_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    url = postgres.url.replace("{db}", name)
    upgrade("search", url)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def event(chain: str) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4().hex,
        "type": "ProgressNoted",
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": "test",
        "correlation_id": "c",
        "ticket_id": chain.removeprefix("ticket:"),
        "payload": {"note": "进展"},
    }


def race(workers: list[Callable[[], T]]) -> list[T]:
    start = threading.Barrier(len(workers))

    def run(work: Callable[[], T]) -> T:
        start.wait()
        return work()

    with ThreadPoolExecutor(len(workers)) as pool:
        return list(pool.map(run, workers))


def append(sessions: sessionmaker[Session], order: tuple[str, ...]) -> Callable[[], int]:
    """One instance's consumer transactions: each a batch touching every chain, in `order`."""

    def work() -> int:
        added = 0
        for _ in range(ROUNDS):
            with sessions() as session:
                ledger = SqlLedger(session)
                for chain in order:
                    ledger.stage(event(chain))
                added += ledger.flush()
                session.commit()
        return added

    return work


def test_two_instances_appending_at_once_never_fork_a_chain(
    database: tuple[str, Engine],
) -> None:
    _, engine = database
    sessions = sessionmaker(engine)
    # Opposite orders: were heads locked in the batch's order, the two would deadlock.
    added = race([append(sessions, CHAINS), append(sessions, CHAINS[::-1])])
    assert added == [ROUNDS * len(CHAINS)] * 2
    with sessions() as session:
        ledger = SqlLedger(session)
        for chain in CHAINS:
            checked = domain.check_chain(chain, ledger.chain(chain), ledger.head(chain))
            assert checked.ok and checked.entries == 2 * ROUNDS, checked.mismatch


def test_two_workers_seal_a_day_once(
    database: tuple[str, Engine], caplog: pytest.LogCaptureFixture
) -> None:
    _, engine = database
    sessions = sessionmaker(engine)
    today = domain.day_of(datetime.now(UTC))
    one, two = Sealer(ledgers(sessions)), Sealer(ledgers(sessions))
    with caplog.at_level("INFO", logger="services.search.handlers.ledger"):
        sealed = race([lambda: one.seal(today), lambda: two.seal(today)])
    assert len([s for s in sealed if s is not None]) == 1
    assert len([r for r in caplog.records if r.getMessage() == "ledger day sealed"]) == 1
    with engine.connect() as db:
        assert db.execute(select(func.count()).select_from(ledger_seals)).scalar_one() == 1
        stored = db.execute(select(ledger_seals.c.root, ledger_seals.c.entries)).one()
    with sessions() as session:
        hashes = [h for _, h in SqlLedger(session).day_hashes(today)]
    assert stored == (domain.merkle_root(hashes), 2 * ROUNDS * len(CHAINS))


def test_a_row_edited_in_the_database_fails_verify_naming_it(
    database: tuple[str, Engine],
) -> None:
    url, engine = database
    with sessionmaker(engine)() as session:
        target = SqlLedger(session).chain("ticket:pg-b")[3]
    env = {"HOTLINE_DATABASE_URL": url}
    assert CliRunner().invoke(cli, ["verify", "--ticket", "pg-b"], env=env).exit_code == 0
    with engine.begin() as db:
        edited = target["content"].replace("进展", "已办结")
        db.execute(
            update(ledger_entries)
            .where(ledger_entries.c.sequence == target["sequence"])
            .values(content=edited)
        )
    checked = CliRunner().invoke(cli, ["verify", "--ticket", "pg-b"], env=env)
    named = f"entry {target['sequence']} (chain ticket:pg-b, event {target['event_id']})"
    assert checked.exit_code == 1 and named in checked.stderr, checked.output

"""Session-wide real peers, started once and stopped by pid at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import peers


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[peers.Peer]:
    broker = peers.start_tansu()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[peers.Peer]:
    """A throwaway cluster; `postgres.url.format(db=...)` names a database in it."""
    server = peers.start_postgres(databases=("app",))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def elasticsearch() -> Iterator[peers.Peer]:
    server = peers.start_osmem()
    yield server
    server.stop()

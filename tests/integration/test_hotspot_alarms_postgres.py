"""Two search instances' alarm workers on one PostgreSQL database step at the same moment:
each spot that crossed its threshold is raised exactly once (the touched spots are taken by
one instance, skipped by the other; the crossing is unique), and cleared exactly once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.common.settings import Settings
from services.search.adapters.orm import hotspot_alarms, hotspot_pending
from services.search.bootstrap import build
from services.search.handlers.alarms import AlarmWatch
from tests.integration.test_hotspot_alarms import published, watch
from tests.support import peers
from tests.support.dispatch import envelope, put_on_bus, ticket_created
from tests.support.harness import drain, driven

pytestmark = pytest.mark.peers
STREETS = ("110105001001", "110105002001", "110108001001")  # three streets, one spot each


@pytest.fixture(scope="module")
def search(postgres: peers.Peer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    name = f"search_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    url = postgres.url.replace("{db}", name)
    app = driven(build(Settings(data_dir=tmp_path_factory.mktemp("pg-alarms"), database_url=url)))
    watch(app)
    with TestClient(app) as client:
        yield client


def test_two_workers_stepping_at_once_raise_each_crossing_once(search: TestClient) -> None:
    app = search.app
    calls = [
        envelope(ticket_created(number=f"2612030{n}{s}", area_code=street))
        for s, street in enumerate(STREETS)
        for n in range(3)
    ]
    put_on_bus(app.state.platform.bus, *calls)  # type: ignore[attr-defined]
    drain(app)  # type: ignore[arg-type]
    one = watch(app)  # type: ignore[arg-type]
    two = replace(one)
    assert race(one, two) == len(STREETS) and one.step() == two.step() == 0
    assert len(published(app, "HotSpotRaised")) == len(STREETS)
    with app.state.platform.engine.connect() as db:  # type: ignore[attr-defined]
        assert db.execute(select(func.count()).select_from(hotspot_alarms)).scalar() == 3
        assert db.execute(select(func.count()).select_from(hotspot_pending)).scalar() == 0

    one.now = two.now = lambda: datetime.now(UTC) + timedelta(days=8)
    assert race(one, two) == len(STREETS)  # each cleared once, by one of the two
    assert len(published(app, "HotSpotCleared")) == len(STREETS)


def race(*workers: AlarmWatch) -> int:
    start = threading.Barrier(len(workers))

    def step(worker: AlarmWatch) -> int:
        start.wait()
        return worker.step()

    with ThreadPoolExecutor(len(workers)) as pool:
        return sum(pool.map(step, workers))

"""The SLA scheduler against real databases: warnings and breaches fire once, survive a
restart, and two schedulers side by side on PostgreSQL never fire the same thing twice."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from proto.envelope import Envelope
from services.common.db import make_engine, uow_factory
from services.common.messaging_tables import outbox_table
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.dispatch.adapters.calendar_data import calendars
from services.dispatch.adapters.directory import Directory, seed_database
from services.dispatch.adapters.orm import metadata
from services.dispatch.adapters.seed import load_policies
from services.dispatch.adapters.unit_of_work import DispatchUnitOfWork
from services.dispatch.bootstrap import build
from services.dispatch.config import DispatchSettings
from services.dispatch.handlers import consumers
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.handlers.scheduler import Scheduler
from tests.support import peers
from tests.support.dispatch import envelope, ticket_created

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def fired(deps: DispatchContext) -> Counter[tuple[str, str, str]]:
    """(event type, assignment, clock) → how many times it is in the outbox."""
    outbox = outbox_table(metadata)
    with deps.uow() as u:
        rows = u.session.execute(select(outbox.c.payload)).scalars().all()
    seen: Counter[tuple[str, str, str]] = Counter()
    for raw in rows:
        env = Envelope.model_validate_json(raw)
        if env.type in ("SlaWarningRaised", "SlaBreached"):
            seen[(env.type, env.payload["assignment_id"], env.payload["clock"])] += 1
    return seen


def new_urgent(deps: DispatchContext) -> str:
    event = ticket_created(urgency="urgent")
    env = envelope(event)
    with deps.uow() as u:
        consumers.on_ticket_created(deps, u, env, event)
        u.commit()
    return env.ticket_id


def make_app(data_dir: Path, clock: Clock) -> TestClient:
    return TestClient(
        build(Settings(data_dir=data_dir), DispatchSettings(scheduler=False), now=clock)
    )


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[tuple[TestClient, Clock, Path]]:
    clock = Clock()
    with make_app(tmp_path, clock) as client:
        yield client, clock, tmp_path


def test_a_warning_then_a_breach_fire_once_and_survive_a_restart(
    sqlite_app: tuple[TestClient, Clock, Path],
) -> None:
    client, clock, data_dir = sqlite_app
    deps: DispatchContext = client.app.state.deps  # type: ignore[attr-defined]
    scheduler: Scheduler = client.app.state.scheduler  # type: ignore[attr-defined]
    new_urgent(deps)
    assert scheduler.tick() == 0
    clock.now = T0 + timedelta(minutes=46)  # past 75 % of the 1 h acknowledge clock
    assert scheduler.tick() == 1
    assert scheduler.tick() == 0
    clock.now = T0 + timedelta(minutes=61)
    assert scheduler.tick() == 1
    assert scheduler.tick() == 0
    counts = fired(deps)
    assert sorted((k[0], k[2], n) for k, n in counts.items()) == [
        ("SlaBreached", "acknowledge", 1), ("SlaWarningRaised", "acknowledge", 1),
    ]  # fmt: skip
    supervised = client.get("/api/v1/supervisions", headers=_auth(client)).json()
    assert [s["supervision_reason"] for s in supervised] == ["sla_breach:acknowledge"]
    # A new process on the same database finds nothing left to fire for that clock.
    with make_app(data_dir, clock) as again:
        assert again.app.state.scheduler.tick() == 0  # type: ignore[attr-defined]
    assert fired(deps) == counts


def _auth(client: TestClient) -> dict[str, str]:
    form = {"username": "dispatcher", "password": "dispatcherpass"}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _deps(url: str, clock: Clock) -> DispatchContext:
    engine = make_engine(url)
    uow = uow_factory(engine, metadata, "dispatch", DispatchUnitOfWork)
    return DispatchContext(uow, Directory(), load_policies(), calendars(), now=clock)


@pytest.mark.peers
def test_two_schedulers_on_postgresql_share_the_work_and_fire_each_once(
    postgres: peers.Peer,
) -> None:
    name = f"d{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    url = postgres.url.format(db=name)
    upgrade("dispatch", url)
    clock = Clock()
    first, second = _deps(url, clock), _deps(url, clock)
    with first.uow() as u:
        seed_database(u.session, clock.now)
        u.notices.set_settings("D-JXS", "webhook", None, "http://127.0.0.1:9/notices")
        u.commit()
    tickets = 120
    for _ in range(tickets):
        new_urgent(first)
    clock.now = T0 + timedelta(days=2)  # every clock of every assignment is now overdue
    handled = {"first": 0, "second": 0}
    start = threading.Barrier(2)

    def run(label: str, deps: DispatchContext) -> None:
        scheduler = Scheduler(deps, batch=15, gauge_every=3600)
        start.wait()
        while done := scheduler.tick():
            handled[label] += done

    threads = [
        threading.Thread(target=run, args=item) for item in (("first", first), ("second", second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    counts = fired(first)
    assert set(counts.values()) == {1}
    assert len(counts) == tickets * 3
    assert handled["first"] + handled["second"] == tickets * 3
    assert handled["first"] > 0 and handled["second"] > 0
    # A notice for each firing to the department's webhook, each once.
    with first.uow() as u:
        queued = u.notices.recent(1000)
    assert len({(n["assignment_id"], n["clock"], n["kind"]) for n in queued}) == len(queued)
    assert len(queued) == tickets * 3


def test_a_breach_says_its_sla_state_and_puts_the_assignment_on_the_list_in_an_event(
    sqlite_app: tuple[TestClient, Clock, Path],
) -> None:
    client, clock, _ = sqlite_app
    deps: DispatchContext = client.app.state.deps  # type: ignore[attr-defined]
    scheduler: Scheduler = client.app.state.scheduler  # type: ignore[attr-defined]
    new_urgent(deps)
    clock.now = T0 + timedelta(minutes=46)
    scheduler.tick()
    clock.now = T0 + timedelta(days=3)  # every clock past its deadline
    scheduler.tick()
    with deps.uow() as u:
        payloads = u.session.execute(select(outbox_table(metadata).c.payload)).scalars().all()
    envelopes = [Envelope.model_validate_json(raw) for raw in payloads]
    states = [(e.type, e.payload["clock"], e.payload["sla_state"]) for e in envelopes
              if e.type in ("SlaWarningRaised", "SlaBreached")]  # fmt: skip
    assert ("SlaWarningRaised", "acknowledge", "warned") in states
    assert {s for t, _, s in states if t == "SlaBreached"} == {"breached"}
    supervised = [e.payload for e in envelopes if e.type == "AssignmentSupervised"]
    assert [(s["reason"], s["by"], s["action"]) for s in supervised] == [
        ("sla_breach:acknowledge", "scheduler", "opened")
    ]
    listed = client.get("/api/v1/supervisions", headers=_auth(client)).json()
    assert [s["supervision_reason"] for s in listed] == ["sla_breach:acknowledge"]

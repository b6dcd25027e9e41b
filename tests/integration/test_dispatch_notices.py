"""Notices of a warning or breach reach the department's duty contact once: the scheduler
driven twice, the firing queued again and a restarted process make no second notice, and the
webhook (a real HTTP server) receives one POST; a failed POST is tried again after its
backoff with the same id. The workbench's badge counts the warned assignment. Also the
holiday calendar's audited import (API and CLI), and clocks from before working hours
keeping their deadlines through the migration."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from services import cli
from services.common.db import make_engine
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.common.workers import Worker
from services.dispatch.adapters.calendar_data import imported_rules
from services.dispatch.adapters.orm import clocks, notices
from services.dispatch.bootstrap import build
from services.dispatch.config import DispatchSettings
from services.dispatch.handlers import consumers
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.handlers.scheduler import Scheduler
from tests.support.dispatch import envelope, ticket_created

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


@dataclass
class Receiver:
    """A department's system: records every POST, answers 503 while `failing` > 0."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    failing: int = 0
    url: str = ""


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            status = 503 if state.failing else 204
            state.failing = max(0, state.failing - 1)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hotline-notices"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    client: TestClient
    clock: Clock
    data_dir: Path

    @property
    def deps(self) -> DispatchContext:
        return self.client.app.state.deps  # type: ignore[attr-defined,no-any-return]

    @property
    def scheduler(self) -> Scheduler:
        return self.client.app.state.scheduler  # type: ignore[attr-defined,no-any-return]

    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, user: str, password: str) -> dict[str, str]:
        if user not in self.tokens:
            form = {"username": user, "password": password}
            answer = self.client.post("/api/v1/auth/token", data=form)
            self.tokens[user] = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def _app(data_dir: Path, clock: Clock) -> TestClient:
    app = build(Settings(data_dir=data_dir), DispatchSettings(scheduler=False), now=clock)
    # The test sends by stepping the notice worker itself.
    next(w for w in app.state.platform.workers if w.name == "dispatch-notices").hold()
    return TestClient(app)


def _sender(desk: Desk) -> Worker:
    workers = desk.client.app.state.platform.workers  # type: ignore[attr-defined]
    return next(w for w in workers if w.name == "dispatch-notices")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Desk]:
    clock, data_dir = Clock(), tmp_path_factory.mktemp("dispatch")
    with _app(data_dir, clock) as client:
        made = Desk(client, clock, data_dir)
        body = {"notice_channel": "webhook", "webhook_url": receiver.url}
        admin = made.auth("admin", "adminpass")
        put = client.put("/api/v1/departments/D-JXS/notices", json=body, headers=admin)
        assert put.status_code == 200, put.text
        yield made


def _urgent(desk: Desk) -> str:
    """An urgent ticket for 建外街道 (D-JXS), dispatched now: acknowledge within 1 h."""
    event = ticket_created(urgency="urgent", created_at=desk.clock.now)
    env = envelope(event)
    with desk.deps.uow() as u:
        consumers.on_ticket_created(desk.deps, u, env, event)
        u.commit()
    with desk.deps.uow() as u:
        return u.assignments.of_ticket(env.ticket_id)[0].id


def _count(desk: Desk) -> int:
    with desk.deps.uow() as u:
        return int(u.session.execute(select(func.count()).select_from(notices)).scalar_one())


def test_a_warning_produces_exactly_one_notice_to_the_departments_contact(
    desk: Desk, receiver: Receiver
) -> None:
    assignment = _urgent(desk)
    desk.clock.now += timedelta(minutes=46)  # past 75 % of the 1 h acknowledge clock
    assert desk.scheduler.tick() == 1
    assert desk.scheduler.tick() == 0
    # The same firing queued again (a redelivery) is left alone by the unique key.
    with desk.deps.uow() as u:
        due = desk.clock.now + timedelta(minutes=14)
        u.notices.queue([(assignment, "t", "D-JXS", "acknowledge", "warning", due)],
                        desk.clock.now, desk.deps.new_id)  # fmt: skip
        u.commit()
    # A restarted process on the same database finds nothing left to fire.
    with _app(desk.data_dir, desk.clock) as again:
        assert again.app.state.scheduler.tick() == 0  # type: ignore[attr-defined]
    assert _count(desk) == 1
    sender = _sender(desk)
    assert sender.step() == 1
    assert sender.step() == 0
    assert len(receiver.posts) == 1
    post = receiver.posts[0]
    assert (post["assignment"], post["department"], post["kind"], post["clock"]) == (
        assignment, "D-JXS", "warning", "acknowledge",
    )  # fmt: skip
    assert post["ticket_number"] == "2611280001" and post["id"]
    listed = desk.client.get("/api/v1/notices", headers=desk.auth("dispatcher", "dispatcherpass"))
    assert [(n["id"], n["status"]) for n in listed.json()] == [(post["id"], "sent")]
    badge = desk.client.get("/api/v1/sla-alerts", headers=desk.auth("chaoyang-jxs", "deptpass"))
    assert badge.json() == {"warned": 1, "breached": 0}
    detail = desk.client.get(
        f"/api/v1/assignments/{assignment}", headers=desk.auth("chaoyang-jxs", "deptpass")
    )
    assert {c["basis"] for c in detail.json()["clocks"].values()} == {"natural"}  # urgent


def test_a_failed_post_is_tried_again_after_its_backoff_with_the_same_id(
    desk: Desk, receiver: Receiver
) -> None:
    receiver.posts.clear()
    receiver.failing = 1
    _urgent(desk)
    desk.clock.now += timedelta(minutes=46)
    assert desk.scheduler.tick() >= 1
    sender = _sender(desk)
    tried = sender.step()  # the first POST answered 503: pending again, in 10 s
    assert tried >= 1 and sender.step() == 0
    desk.clock.now += timedelta(seconds=11)
    assert sender.step() == 1
    assert sender.step() == 0
    ids = [p["id"] for p in receiver.posts]
    assert len(ids) == tried + 1 and ids.count(ids[0]) == 2
    listed = desk.client.get("/api/v1/notices", headers=desk.auth("admin", "adminpass")).json()
    assert {n["status"] for n in listed} == {"sent"} and len(listed) == _count(desk)


def test_notice_settings_need_the_channels_address(desk: Desk) -> None:
    admin = desk.auth("admin", "adminpass")
    body = {"notice_channel": "sms"}
    refused = desk.client.put("/api/v1/departments/D-ZGC/notices", json=body, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "duty_phone"
    unknown = desk.client.put(
        "/api/v1/departments/NOPE/notices", json=body | {"duty_phone": "13800000000"}, headers=admin
    )
    assert unknown.status_code == 404


def test_a_years_import_is_audited_and_moves_the_known_end_of_the_calendar(desk: Desk) -> None:
    admin, dispatcher = desk.auth("admin", "adminpass"), desk.auth("dispatcher", "dispatcherpass")
    before = desk.client.get("/api/v1/calendar", headers=dispatcher).json()
    # The clock stands at 30 November 2026 and the package ends with 2026.
    assert before == {"known_until": "2026-12-31", "days_left": 31, "warning": True}
    assert "hotline_calendar_known_until_days 31.0" in desk.client.get("/metrics").text
    # Test data, not a notice: 13 days off in January.
    january = [f"2027-01-{d:02d}" for d in range(1, 14)]
    year = {"holidays": january, "workdays": [], "note": "first draft"}
    refused = desk.client.put("/api/v1/calendar/2027", json=year, headers=dispatcher)
    assert refused.status_code == 403
    stray = year | {"holidays": [*january, "2028-01-01"]}
    wrong = desk.client.put("/api/v1/calendar/2027", json=stray, headers=admin)
    assert wrong.status_code == 422 and "2027" in wrong.json()["detail"]
    assert desk.client.put("/api/v1/calendar/2027", json=year, headers=admin).status_code == 200
    second = year | {"holidays": [*january, "2027-02-08"], "workdays": ["2027-02-20"]}
    done = desk.client.put("/api/v1/calendar/2027", json=second, headers=admin).json()
    assert done["imported"]["workdays"] == ["2027-02-20"]
    assert [(c["by"], c["before"] and c["before"]["note"]) for c in done["changes"]] == [
        ("admin", None), ("admin", "first draft"),
    ]  # fmt: skip
    after = desk.client.get("/api/v1/calendar", headers=dispatcher).json()
    assert after == {"known_until": "2027-12-31", "days_left": 396, "warning": False}
    assert not desk.deps.calendars.days.is_working_day(datetime(2027, 2, 8).date())


def test_clocks_running_before_working_hours_keep_counting_whole_days(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dispatch.db'}"
    upgrade("dispatch", url, "0007")
    engine = make_engine(url)
    row = {
        "assignment_id": "a1", "ticket_id": "t1", "department_code": "D-JXS", "state": "running",
        "started_at": T0, "due_at": T0 + timedelta(days=1), "warn_at": T0 + timedelta(hours=20),
    }  # fmt: skip
    with engine.begin() as conn:
        rows = [row | {"clock": "contact", "working_days": True},
                row | {"clock": "resolve", "working_days": False}]  # fmt: skip
        conn.execute(insert(clocks), rows)
    upgrade("dispatch", url)
    with engine.connect() as conn:
        found = {c: b for c, b in conn.execute(select(clocks.c.clock, clocks.c.basis))}
        due = conn.execute(select(clocks.c.due_at).where(clocks.c.clock == "contact")).scalar()
    engine.dispose()
    assert found == {"contact": "working_days", "resolve": "natural"}
    assert due == T0 + timedelta(days=1)


def test_the_cli_imports_a_year_and_refuses_an_excerpt(tmp_path: Path) -> None:
    good, excerpt = tmp_path / "2030.json", tmp_path / "excerpt.json"
    days = [f"2030-01-{d:02d}" for d in range(1, 14)]  # test data, not a notice
    good.write_text(json.dumps({"year": 2030, "holidays": days, "workdays": ["2030-01-19"]}))
    excerpt.write_text(json.dumps({"year": 2030, "holidays": days[:1]}))
    runner = CliRunner()
    env = {"HOTLINE_DATA_DIR": str(tmp_path)}
    done = runner.invoke(cli.app, ["calendar", "import", str(good)], env=env)
    assert done.exit_code == 0 and "13 holidays, 1 make-up workdays" in done.output
    refused = runner.invoke(cli.app, ["calendar", "import", str(excerpt)], env=env)
    assert refused.exit_code == 1 and "至少 13 天" in refused.output
    engine = make_engine(Settings(data_dir=tmp_path).database_url_for("dispatch"))
    with Session(engine) as session:
        rules = imported_rules(session)
    engine.dispose()
    assert rules.years == {2030} and rules.is_working(date(2030, 1, 19))

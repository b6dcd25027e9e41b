"""Hot-spot alarms across search and dispatch as their bootstraps build them (real SQLite
files, the embedded bus): folding tickets until a spot crosses its threshold raises exactly
one HotSpotRaised, more tickets while it holds raise none, a second instance's worker
raises nothing again, the spot falling back clears it; dispatch turns the alarm into one
notice to the territorial office and a desk badge; leaders acknowledge it (audited)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from proto.envelope import Envelope
from services.common.settings import Settings
from services.dispatch.adapters.orm import notices
from services.dispatch.bootstrap import build as build_dispatch
from services.search import metrics
from services.search.adapters.orm import hotspot_alarms, hotspot_pending, metadata
from services.search.bootstrap import build as build_search
from services.search.handlers.alarms import AlarmWatch
from tests.support.dispatch import envelope, put_on_bus, ticket_created
from tests.support.harness import PASSWORDS, drain, driven, free_base_port

NOW = datetime.now(UTC)
SPOT = "010101@110105001"  # noise in 建外街道: D-JXS's territory


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("hotspot-alarms"))
    search, dispatch = driven(build_search(settings)), driven(build_dispatch(settings))
    watch(search)  # held: the test steps it
    with TestClient(search) as s, TestClient(dispatch) as d:
        admin = headers(d, "admin")
        body = {"notice_channel": "sms", "duty_phone": "13800000000", "webhook_url": None}
        assert d.put("/api/v1/departments/D-JXS/notices", json=body, headers=admin).is_success
        yield {"search": s, "dispatch": d}


def watch(app: FastAPI) -> AlarmWatch:
    worker = next(w for w in app.state.platform.workers if w.name == "search-hotspot-alarms")
    worker.hold()
    found: AlarmWatch = worker.step.__self__  # type: ignore[attr-defined]
    return found


def headers(client: TestClient, user: str) -> dict[str, str]:
    form = {"username": user, "password": PASSWORDS[user]}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def call(n: int) -> Envelope:
    made = ticket_created(number=f"26120300{n:02}", created_at=NOW - timedelta(minutes=n))
    return envelope(made)


def fold(services: dict[str, TestClient], *calls: Envelope) -> None:
    apps = [c.app for c in services.values()]
    put_on_bus(apps[0].state.platform.bus, *calls)  # type: ignore[attr-defined]
    drain(*apps)  # type: ignore[arg-type]


def published(app: Any, word: str) -> list[dict[str, Any]]:
    outbox = metadata.tables["outbox"]
    with app.state.platform.engine.connect() as db:
        rows = db.execute(select(outbox.c.headers, outbox.c.payload)).all()
    return [dict(r._mapping) for r in rows if word in r.headers + r.payload]


def raised(app: Any) -> list[dict[str, Any]]:
    return published(app, "HotSpot")


def test_a_crossing_raises_one_alarm_and_dispatch_tells_the_office_once(
    services: dict[str, TestClient],
) -> None:
    search, dispatch = services["search"], services["dispatch"]
    step = watch(search.app)  # type: ignore[arg-type]
    fold(services, call(1), call(2))
    assert step.step() == 0 and raised(search.app) == []  # two calls are noise

    fold(services, call(3))
    assert step.step() == 1
    events = raised(search.app)
    assert len(events) == 1 and '"HotSpotRaised"' in events[0]["headers"]
    assert "110105001" in events[0]["payload"] and "caller" not in events[0]["payload"]
    assert metrics.HOTSPOT_ALARMS_ACTIVE._value.get() == 1
    with search.app.state.platform.engine.connect() as db:  # type: ignore[attr-defined]
        assert db.execute(select(hotspot_pending)).all() == []  # looked at: forgotten

    fold(services, call(4), call(5))  # holds: nothing again, from either instance
    other = replace(step)
    assert step.step() == 0 and other.step() == 0 and len(raised(search.app)) == 1

    drain(search.app, dispatch.app)  # type: ignore[arg-type]
    with dispatch.app.state.platform.engine.connect() as db:
        sent = db.execute(select(notices).where(notices.c.clock == "hotspot")).all()
    assert [(n.department_code, n.kind, n.ticket_number) for n in sent] == [
        ("D-JXS", "raised", SPOT)
    ]
    desk = dispatch.get("/api/v1/hotspot-alarms", headers=headers(dispatch, "dispatcher"))
    assert [(a["department_code"], a["count"]) for a in desk.json()] == [("D-JXS", 3)]
    assert (
        dispatch.get("/api/v1/hotspot-alarms", headers=headers(dispatch, "agent1")).status_code
        == 403
    )


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app (already started by its TestClient) on a port of its own, for Chromium."""
    port = free_base_port(1)
    config = uvicorn.Config(app, port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "server did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def sign_in(page: Any, base: str, user: str, path: str) -> None:
    page.goto(f"{base}{path}")
    page.wait_for_url("**/login**")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.press("#password", "Enter")
    page.wait_for_url(f"**{path}")


def test_the_dashboard_banner_shows_the_alarm_and_acknowledging_offers_a_theme(
    services: dict[str, TestClient], browser: Any
) -> None:
    # Cookies do not tell ports apart: each person signs in in a browser context of their own.
    with served(services["dispatch"].app) as base, person(browser) as page:
        sign_in(page, base, "dispatcher", "/review")
        badge = page.locator("#hotspot-alarms")
        badge.wait_for()
        assert badge.inner_text() == "热点预警 1" and "建外街道" in badge.get_attribute("title")
    with served(services["search"].app) as base, person(browser) as page:
        sign_in(page, base, "leader", "/dashboard")
        banner = page.locator("#hotspot-alarms")
        banner.locator("li button").wait_for()
        assert "近 7 天 3 件" in banner.inner_text() and "建外街道" in banner.inner_text()
        banner.locator("li button").click()
        theme = banner.locator("li a")
        theme.wait_for()
        assert "leader 已于" in banner.inner_text()
        assert theme.all_inner_texts() == ["立为每月一题"]  # a leader's way; not a ticket
        assert theme.get_attribute("href") == f"/themes?hotspot={SPOT.replace('@', '%40')}"


@contextmanager
def person(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN")
    try:
        yield context.new_page()
    finally:
        context.close()


def test_acknowledged_by_whom_offering_both_ways_and_the_spot_falling_back_clears_it(
    services: dict[str, TestClient],
) -> None:
    search, dispatch = services["search"], services["dispatch"]
    step = watch(search.app)  # type: ignore[arg-type]
    leader = headers(search, "leader")
    [alarm] = search.get("/api/v1/hotspot-alarms", headers=leader).json()
    assert (alarm["spot_key"], alarm["acknowledged_by"]) == (SPOT, "leader")
    assert alarm["offers"]["proactive"].startswith("/proactive?source=hotspot%3A010101%40")
    again = search.post(f"/api/v1/hotspot-alarms/{alarm['id']}/acknowledge", headers=leader)
    assert again.status_code == 200 and again.json()["acknowledged_at"] == alarm["acknowledged_at"]
    [audited] = published(search.app, "hotspot_alarm")
    assert '"by":"leader"' in audited["payload"].replace(" ", "")
    agent = search.get("/api/v1/hotspot-alarms", headers=headers(search, "agent1"))
    assert agent.status_code == 403
    unknown = search.post(f"/api/v1/hotspot-alarms/{'0' * 32}/acknowledge", headers=leader)
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith(
        "application/problem+json"
    )

    step.now = lambda: NOW + timedelta(days=8)  # a week later the spot is quiet again
    assert step.step() == 1 and step.step() == 0
    assert [e["headers"].count("HotSpotCleared") for e in raised(search.app)] == [0, 1]
    assert search.get("/api/v1/hotspot-alarms", headers=leader).json() == []
    drain(search.app, dispatch.app)  # type: ignore[arg-type]
    assert dispatch.get("/api/v1/hotspot-alarms", headers=headers(dispatch, "leader")).json() == []
    with search.app.state.platform.engine.connect() as db:
        row = db.execute(select(hotspot_alarms)).one()
    assert row.cleared_at is not None and row.acknowledged_by == "leader"

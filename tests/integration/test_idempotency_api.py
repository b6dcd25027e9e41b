"""`Idempotency-Key` through each service's API on a real SQLite database: a retry with the
key gets the first answer and stores nothing new; the key with another request is refused;
a retry while the first still runs gets 409; every write operation documents the header."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.common.settings import Settings
from services.dispatch.bootstrap import build as build_dispatch
from services.dispatch.config import DispatchSettings
from services.dispatch.handlers import consumers
from services.intake.bootstrap import build as build_intake
from tests.support.dispatch import envelope, ticket_created
from tests.support.feedback import Running, link_parts, running_feedback
from tests.support.harness import PASSWORDS, call_body
from tests.support.intake import IntakeApi, app_of, count, outbox


def key() -> str:
    return str(uuid.uuid4())


def replayed(first: httpx.Response, again: httpx.Response) -> bool:
    """`again` is `first` answered once more, marked as such."""
    return (
        again.headers.get("idempotent-replayed") == "true"
        and "idempotent-replayed" not in first.headers
        and (again.status_code, again.content) == (first.status_code, first.content)
        and again.headers["content-type"] == first.headers["content-type"]
    )


def assert_documented(app: FastAPI, operations: str) -> None:
    """Each of `operations` ("METHOD /path" per line) declares the header."""
    paths = app.openapi()["paths"]
    for line in operations.strip().splitlines():
        method, path = line.split()
        parameters = paths[path][method.lower()].get("parameters", [])
        names = [p["name"] for p in parameters if p["in"] == "header"]
        assert "Idempotency-Key" in names, line


# --- intake ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeApi]:
    data_dir: Path = tmp_path_factory.mktemp("intake-keys")
    with TestClient(build_intake(Settings(data_dir=data_dir))) as client:
        yield IntakeApi(client)


def _call(api: IntakeApi, idem: str, user: str = "agent1", lang: str = "zh-CN", **body: Any) -> Any:
    headers = api.headers(user, lang) | {"Idempotency-Key": idem}
    return api.client.post("/api/v1/calls", json=call_body(**body), headers=headers)


def test_a_call_sent_twice_with_one_key_is_one_ticket(intake: IntakeApi) -> None:
    tickets, events = count(intake.client, "tickets"), len(outbox(intake.client))
    idem = key()
    first = _call(intake, idem, description="井盖缺失 一键一单")
    again = _call(intake, idem, description="井盖缺失 一键一单")
    assert first.status_code == 201, first.text
    assert replayed(first, again)
    assert count(intake.client, "tickets") == tickets + 1
    assert len(outbox(intake.client)) == events + 1


def test_the_key_with_another_body_is_refused_and_stores_nothing(intake: IntakeApi) -> None:
    idem = key()
    assert _call(intake, idem, description="路灯不亮").status_code == 201
    tickets = count(intake.client, "tickets")
    other = _call(intake, idem, lang="en", description="路灯不亮了")
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    problem = other.json()
    assert problem["type"].endswith("/request.idempotency_key_reused")
    assert "different request" in problem["detail"]
    zh = _call(intake, idem, description="路灯不亮了").json()["detail"]
    assert "已用于另一个不同的请求" in zh
    assert count(intake.client, "tickets") == tickets


def test_each_caller_has_keys_of_their_own(intake: IntakeApi) -> None:
    idem = key()
    mine = _call(intake, idem, description="占道经营")
    theirs = _call(intake, idem, user="agent2", description="占道经营")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]


def test_a_refused_request_leaves_its_key_free(intake: IntakeApi) -> None:
    idem = key()
    refused = _call(intake, idem, area_code="999999999")
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("/intake.unknown_area")
    taken = _call(intake, idem, description="积水")
    assert taken.status_code == 201 and "idempotent-replayed" not in taken.headers


@pytest.mark.parametrize("bad", ["short", "x" * 129, "semi;colon;key", "a b c d e f g h"])
def test_a_malformed_key_is_a_bad_request(intake: IntakeApi, bad: str) -> None:
    tickets = count(intake.client, "tickets")
    headers = intake.headers("agent1", "en") | {"Idempotency-Key": bad}
    response = intake.client.post("/api/v1/calls", json=call_body(), headers=headers)
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"].endswith("/request.idempotency_key_invalid")
    assert problem["errors"][0]["field"] == "header.Idempotency-Key"
    assert "8 to 128 characters" in problem["detail"]
    assert count(intake.client, "tickets") == tickets


def test_a_retry_while_the_first_runs_gets_409_then_the_first_answer(intake: IntakeApi) -> None:
    app = app_of(intake.client)
    idem, body = key(), {"description": "楼道堆物 仍在处理"}
    tickets = count(intake.client, "tickets")
    with ThreadPoolExecutor(1) as pool, app.state.platform.engine.connect() as conn:
        # Holding the database's writer keeps the first request inside its transaction.
        conn.execute(text("CREATE TEMP TABLE hold_writer (a INTEGER)"))
        first = pool.submit(_call, intake, idem, **body)
        _wait_for(lambda: app.state.idempotency.running, first)
        busy = _call(intake, idem, **body)
        conn.rollback()
        answered = first.result(30)
    assert busy.status_code == 409
    assert busy.json()["type"].endswith("/request.idempotency_in_flight")
    assert busy.headers["retry-after"] == "1"
    assert answered.status_code == 201
    assert replayed(answered, _call(intake, idem, **body))
    assert count(intake.client, "tickets") == tickets + 1


def _wait_for(check: Any, running: Any) -> None:
    deadline = time.monotonic() + 30
    while not check():
        if running.done() or time.monotonic() > deadline:
            raise AssertionError(f"the first request never started: {running}")
        time.sleep(0.01)


def test_catalogue_edits_replay(intake: IntakeApi) -> None:
    headers = intake.headers("admin") | {"Idempotency-Key": key()}
    body = {"code": "0199", "name": "幂等测试类", "parent": "01"}
    first = intake.client.post("/api/v1/categories", json=body, headers=headers)
    again = intake.client.post("/api/v1/categories", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert replayed(first, again)


def test_every_intake_write_declares_the_header(intake: IntakeApi) -> None:
    assert_documented(
        app_of(intake.client),
        """
        POST /api/v1/calls
        POST /api/v1/categories
        PATCH /api/v1/categories/{code}
        POST /api/v1/categories/{code}/retire
        POST /api/v1/categories/{code}/restore
        POST /api/v1/knowledge
        PUT /api/v1/knowledge/{entry_id}
        """,
    )


# --- dispatch ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def dispatch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("dispatch-keys"))
    app = build_dispatch(settings, DispatchSettings(scheduler=False), now=Clock())
    with TestClient(app) as client:
        yield client


_tokens: dict[str, str] = {}


def as_(client: TestClient, user: str, idem: str | None = None) -> dict[str, str]:
    if user not in _tokens:
        form = {"username": user, "password": PASSWORDS[user]}
        _tokens[user] = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    headers = {"Authorization": f"Bearer {_tokens[user]}"}
    return headers | ({"Idempotency-Key": idem} if idem else {})


def _new_ticket(client: TestClient, **changes: Any) -> str:
    event = ticket_created(**changes)
    env = envelope(event)
    deps = client.app.state.deps  # type: ignore[attr-defined]
    with deps.uow() as u:
        consumers.on_ticket_created(deps, u, env, event)
        u.commit()
    return env.ticket_id


def _rows(client: TestClient, table: str = "outbox") -> int:
    engine = client.app.state.platform.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _twice(client: TestClient, method: str, path: str, user: str, body: Any) -> list[Any]:
    headers = as_(client, user, key())
    return [client.request(method, path, json=body, headers=headers) for _ in range(2)]


def test_a_return_sent_twice_is_returned_once(dispatch: TestClient) -> None:
    ticket = _new_ticket(dispatch)
    rows = dispatch.get(
        "/api/v1/assignments", params={"ticket_id": ticket}, headers=as_(dispatch, "dispatcher")
    ).json()
    lead = next(a for a in rows if a["role"] == "lead")
    events = _rows(dispatch)
    body = {"reason_code": "not_our_duty", "reason": "属于物业管理范围"}
    path = f"/api/v1/assignments/{lead['id']}/return"
    first, again = _twice(dispatch, "POST", path, "chaoyang-jxs", body)
    assert first.status_code == 200, first.text
    assert replayed(first, again)
    assert _rows(dispatch) == events + 1


def test_a_dispatch_sent_twice_dispatches_once(dispatch: TestClient) -> None:
    ticket = _new_ticket(dispatch, area_code=None, area_path=[])
    events = _rows(dispatch)
    body = {"department_code": "D-ZGC", "note": "请核实地址"}
    path = f"/api/v1/tickets/{ticket}/dispatch"
    first, again = _twice(dispatch, "POST", path, "dispatcher", body)
    assert first.status_code == 201, first.text
    assert replayed(first, again)
    assert _rows(dispatch) == events + 1


def test_a_rule_created_or_changed_twice_is_one_edit(dispatch: TestClient) -> None:
    body = {"id": "R-KEYS", "department": "B-URBAN", "category": "010102", "area": "110105"}
    first, again = _twice(dispatch, "POST", "/api/v1/routing-rules", "admin", body)
    assert first.status_code == 201, first.text
    assert replayed(first, again)
    changes = _rows(dispatch, "rule_changes")
    change = {"department": "U-GAS", "category": "010102", "co": ["G-CY"]}
    changed, again = _twice(dispatch, "PUT", "/api/v1/routing-rules/R-KEYS", "admin", change)
    assert changed.status_code == 200, changed.text
    assert replayed(changed, again)
    assert _rows(dispatch, "rule_changes") == changes + 1


def test_every_dispatch_write_declares_the_header(dispatch: TestClient) -> None:
    actions = ["acknowledge", "contact", "notes", "resolve", "return", "pause", "resume"]
    supervision = ["extensions", "supervise", "urge", "supervision/close"]
    assert_documented(
        dispatch.app,  # type: ignore[arg-type]
        "\n".join(
            [f"POST /api/v1/assignments/{{assignment_id}}/{a}" for a in actions + supervision]
            + [
                "POST /api/v1/tickets/{ticket_id}/dispatch",
                "POST /api/v1/extensions/{extension_id}/decision",
                "POST /api/v1/routing-rules",
                "PUT /api/v1/routing-rules/{rule_id}",
                "DELETE /api/v1/routing-rules/{rule_id}",
            ]
        ),
    )


# --- feedback ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def feedback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running_feedback(
        tmp_path_factory.mktemp("feedback-keys"), public_rate_limit=10_000
    ) as running:
        yield running


def test_a_rating_sent_twice_counts_once(feedback: Running) -> None:
    ticket_id, token = link_parts(feedback.resolved("20261203-0001", "D-JXS")[1])
    body = {"token": token, "contacted": True, "solved": True, "satisfaction": "satisfied"}
    headers = {"Idempotency-Key": key()}
    path = f"/api/v1/tickets/{ticket_id}/ratings"
    first = feedback.client.post(path, json=body, headers=headers)
    again = feedback.client.post(path, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert replayed(first, again)
    assert feedback.count("ratings") == 1


def test_a_callback_sent_twice_is_recorded_once(feedback: Running) -> None:
    ticket_id, _ = feedback.resolved("20261203-0002", "D-JXS")
    headers = feedback.headers("agent1") | {"Idempotency-Key": key()}
    path = f"/api/v1/tickets/{ticket_id}/callbacks"
    body = {"reached": False, "note": "无人接听"}
    callbacks = feedback.count("callbacks")
    first = feedback.client.post(path, json=body, headers=headers)
    again = feedback.client.post(path, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert replayed(first, again)
    assert feedback.count("callbacks") == callbacks + 1


def test_every_feedback_write_declares_the_header(feedback: Running) -> None:
    assert_documented(
        feedback.client.app,  # type: ignore[arg-type]
        """
        POST /api/v1/tickets/{ticket_id}/ratings
        POST /api/v1/tickets/{ticket_id}/callbacks
        """,
    )

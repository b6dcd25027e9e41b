"""The call endpoint on a real SQLite database: bad input is a clear 4xx and stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.common.settings import Settings
from services.intake.bootstrap import build
from tests.support.harness import PASSWORDS, call_body


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("intake")
    with TestClient(build(Settings(data_dir=data_dir))) as test_client:
        yield test_client


def _headers(client: TestClient, username: str, lang: str = "zh-CN") -> dict[str, str]:
    form = {"username": username, "password": PASSWORDS[username]}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}", "Accept-Language": lang}


def _count(client: TestClient) -> int:
    mine = client.get(
        "/api/v1/tickets",
        params={"mine": False, "limit": 200},
        headers=_headers(client, "dispatcher"),
    )
    return len(mine.json())


def test_an_agent_logs_a_call(client: TestClient) -> None:
    response = client.post("/api/v1/calls", json=call_body(), headers=_headers(client, "agent1"))
    assert response.status_code == 201
    assert response.json()["category_path"] == ["城乡建设", "市容环境", "噪音扰民"]


def test_a_call_keeps_its_correlation_id_and_is_counted_by_route(client: TestClient) -> None:
    headers = _headers(client, "agent1") | {"X-Correlation-Id": "corr-test-1"}
    response = client.post("/api/v1/calls", json=call_body(), headers=headers)
    assert response.headers["x-correlation-id"] == "corr-test-1"
    assert client.get("/healthz").headers["x-correlation-id"]  # one is made when none is given
    exposed = client.get("/metrics").text
    line = 'hotline_http_requests_total{method="POST",route="/api/v1/calls",status="201"}'
    assert line in exposed


def test_anonymous_calls_are_allowed(client: TestClient) -> None:
    body = call_body(caller_phone=None)
    response = client.post("/api/v1/calls", json=body, headers=_headers(client, "agent1"))
    assert response.status_code == 201
    assert response.json()["caller_masked"] is None


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"description": ""}, "description", 422),
        ({"description": "噪" * 4001}, "description", 422),
        ({"urgency": "whenever"}, "urgency", 422),
        ({"request_type": 7}, "request_type", 422),
        ({"category_code": "999999"}, "category_code", 422),
        ({"category_code": "0101"}, "category_code", 422),
        ({"area_code": "999"}, "area_code", 422),
        ({"caller_phone": "12345"}, "caller_phone", 422),
        ({"unexpected": "x"}, "unexpected", 422),
    ],
)
def test_bad_input_is_refused_with_the_field_named(
    client: TestClient, change: dict[str, object], field: str, status: int
) -> None:
    before = _count(client)
    response = client.post(
        "/api/v1/calls", json=call_body(**change), headers=_headers(client, "agent1")
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert _count(client) == before


def test_missing_fields_are_named(client: TestClient) -> None:
    response = client.post(
        "/api/v1/calls", json={"description": "x"}, headers=_headers(client, "agent1", "en")
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"request_type", "category_code"} <= fields
    assert response.headers["content-language"] == "en"


def test_messages_follow_the_callers_language(client: TestClient) -> None:
    bad = call_body(category_code="999999")
    zh = client.post("/api/v1/calls", json=bad, headers=_headers(client, "agent1")).json()
    en = client.post("/api/v1/calls", json=bad, headers=_headers(client, "agent1", "en")).json()
    assert "分类" in zh["detail"]
    assert "Category" in en["detail"]


def test_not_json_is_a_400(client: TestClient) -> None:
    headers = _headers(client, "agent1") | {"Content-Type": "application/json"}
    response = client.post("/api/v1/calls", content=b"{not json", headers=headers)
    assert response.status_code == 400


def test_no_token_is_401_and_wrong_role_is_403(client: TestClient) -> None:
    client.cookies.clear()  # logging in earlier left the session cookie
    assert client.post("/api/v1/calls", json=call_body()).status_code == 401
    bad = {"Authorization": "Bearer nonsense"}
    assert client.post("/api/v1/calls", json=call_body(), headers=bad).status_code == 401
    for username in ("leader", "chaoyang-jxs"):
        response = client.post(
            "/api/v1/calls", json=call_body(), headers=_headers(client, username)
        )
        assert response.status_code == 403

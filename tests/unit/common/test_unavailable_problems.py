"""A peer that is away (database, pool, bus) is a 503 with Retry-After, never a 500; other
database errors stay 500s."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from services.common.bus import BusError
from services.common.problems import (
    PROBLEM_MEDIA_TYPE,
    RETRY_AFTER_SECONDS,
    install_problem_handlers,
)

RAISED: dict[str, Exception] = {
    "operational": OperationalError("SELECT 1", {}, Exception("connection refused")),
    "interface": InterfaceError("SELECT 1", {}, Exception("connection closed")),
    "pool": PoolTimeout("QueuePool limit reached"),
    "bus": BusError("no broker"),
    "integrity": IntegrityError("INSERT", {}, Exception("duplicate key")),
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/{name}")
    def fail(name: str) -> None:
        raise RAISED[name]

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("operational", "unavailable.database"),
        ("interface", "unavailable.database"),
        ("pool", "unavailable.database"),
        ("bus", "unavailable.bus"),
    ],
)
def test_an_unreachable_peer_is_503_with_retry_after(
    client: TestClient, name: str, code: str
) -> None:
    zh = client.get(f"/{name}")
    en = client.get(f"/{name}", headers={"Accept-Language": "en"})
    for response in (zh, en):
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        assert response.json()["type"].endswith(f"/problems/{code}")
    assert f"{RETRY_AFTER_SECONDS} 秒后重试" in zh.json()["detail"]
    assert f"try again in {RETRY_AFTER_SECONDS} seconds" in en.json()["detail"]
    assert "connection" not in zh.text and "broker" not in zh.text  # the driver's text stays out


def test_other_database_errors_are_still_500(client: TestClient) -> None:
    response = client.get("/integrity")
    assert response.status_code == 500
    assert "retry-after" not in response.headers

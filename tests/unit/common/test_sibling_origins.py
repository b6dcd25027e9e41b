"""A page on its own port may call a sibling service of the platform with the session cookie:
credentialed CORS for exactly the platform's service ports on the host and scheme the browser
used, for GET and POST only, and no CORS header at all for any other origin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.settings import Settings
from services.common.web import mount_pages

HERE = "http://10.0.0.5:9002"  # dispatch, with the platform's ports 9001..9004


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    app = FastAPI()

    @app.post("/api/v1/echo")
    def echo() -> dict[str, bool]:
        return {"ok": True}

    pages = tmp_path_factory.mktemp("pages")
    mount_pages(app, Path(pages), {}, "/login", Settings(base_port=9001))
    return TestClient(app, base_url=HERE)


def preflight(
    client: TestClient,
    origin: str,
    host: str | None = None,
    method: str = "POST",
    headers: str = "content-type",
) -> Any:
    asked = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }
    if host:
        asked["Host"] = host
    return client.options("/api/v1/echo", headers=asked)


@pytest.mark.parametrize("origin", ["http://10.0.0.5:9001", "http://10.0.0.5:9004"])
def test_a_sibling_on_the_same_host_is_allowed_with_the_cookie(
    client: TestClient, origin: str
) -> None:
    allowed = preflight(client, origin).headers
    assert allowed["access-control-allow-origin"] == origin
    assert allowed["access-control-allow-credentials"] == "true"
    assert "POST" in allowed["access-control-allow-methods"]
    assert "content-type" in allowed["access-control-allow-headers"].lower()
    answer = client.post("/api/v1/echo", headers={"Origin": origin})
    assert answer.json() == {"ok": True}
    assert answer.headers["access-control-allow-origin"] == origin
    assert answer.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize(
    "origin",
    [
        "http://10.0.0.6:9001",  # another host, a platform port
        "http://10.0.0.5:9005",  # this host, not a platform port
        "http://10.0.0.5",  # this host, the default port
        "https://10.0.0.5:9001",  # another scheme
        "http://10.0.0.5.evil.example:9001",
        "null",
        "http://[::1",  # malformed
        "http://evil.example@10.0.0.5:9001",  # no browser sends a user or a path
        "http://10.0.0.5:9001/",
    ],
)
def test_any_other_origin_gets_no_cors_header(client: TestClient, origin: str) -> None:
    refused = preflight(client, origin).headers
    assert not any(name.startswith("access-control-") for name in refused)
    answer = client.post("/api/v1/echo", headers={"Origin": origin})
    assert not any(name.startswith("access-control-") for name in answer.headers)


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("PUT", "content-type"),
        ("PATCH", "content-type"),
        ("DELETE", "accept-language"),
        ("POST", "idempotency-key"),
    ],
)
def test_a_sibling_may_not_update_delete_or_send_an_idempotency_key(
    client: TestClient, method: str, headers: str
) -> None:
    refused = preflight(client, "http://10.0.0.5:9001", method=method, headers=headers)
    assert refused.status_code == 400  # the browser then sends nothing


def test_the_host_is_the_one_the_browser_used(client: TestClient) -> None:
    asked = preflight(client, "http://[::1]:9001", "[::1]:9002")
    assert "access-control-allow-origin" in asked.headers
    asked = preflight(client, "http://[::1]:9001", "10.0.0.5:9002")
    assert "access-control-allow-origin" not in asked.headers
    asked = preflight(client, "http://hotline.example.:9001", "hotline.example:9002")
    assert "access-control-allow-origin" not in asked.headers


def test_a_request_from_no_other_origin_is_untouched(client: TestClient) -> None:
    answer = client.post("/api/v1/echo")
    assert answer.status_code == 200
    assert not any(name.startswith("access-control-") for name in answer.headers)

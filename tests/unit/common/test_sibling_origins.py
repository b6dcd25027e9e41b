"""A page on its own port may call a sibling service of the platform with the session cookie:
credentialed CORS for exactly the platform's service ports on the host and scheme the browser
used, for GET and POST only, and no CORS header at all for any other origin. A change with
the session cookie from any other origin is refused (a forged request: SameSite=Lax lets the
cookie through from another port or subdomain of the same site)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.auth import TOKEN_COOKIE
from services.common.settings import Settings
from services.common.web import mount_pages

HERE = "http://10.0.0.5:9002"  # dispatch, with the platform's ports 9001..9004


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    app = FastAPI()

    @app.post("/api/v1/echo")
    @app.get("/api/v1/echo")
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


SIGNED_IN = {"Cookie": f"{TOKEN_COOKIE}=a-session"}


@pytest.mark.parametrize(
    "origin",
    [
        "http://10.0.0.5:3000",  # another port of this host: the same site
        "http://portal.10.0.0.5.example",
        "null",
        "http://[::1",
    ],
)
def test_a_change_with_the_cookie_from_another_origin_is_refused(
    client: TestClient, origin: str
) -> None:
    asked = {**SIGNED_IN, "Origin": origin, "Accept-Language": "en"}
    refused = client.post("/api/v1/echo", headers=asked)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "another site" in refused.json()["detail"]
    assert client.get("/api/v1/echo", headers=asked).json() == {"ok": True}  # reading is no change
    anonymous = client.post("/api/v1/echo", headers={"Origin": origin})
    assert anonymous.json() == {"ok": True}  # no cookie, nothing to forge


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://10.0.0.5:8080", "10.0.0.5:8080"),  # the proxy's one origin
        ("https://hotline.example", "hotline.example"),  # behind a TLS proxy: http here
        (None, "10.0.0.5:9002"),  # no Origin: no browser page asked
    ],
)
def test_a_change_with_the_cookie_from_this_origin_goes_ahead(
    client: TestClient, origin: str | None, host: str
) -> None:
    asked = {**SIGNED_IN, "Host": host} | ({"Origin": origin} if origin else {})
    assert client.post("/api/v1/echo", headers=asked).json() == {"ok": True}

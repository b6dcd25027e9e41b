"""Every public intake route is rate limited per client address (the one behind the trusted
proxies): the portal's API, reads too; the photos; Open311, keyed or not. Past the limit: 429
with Retry-After and a message in the asked language; another address is still served."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.common.settings import Settings
from services.intake.bootstrap import build
from services.intake.config import IntakeSettings
from tests.support import peers
from tests.support.harness import driven
from tests.support.intake import app_of

LIMIT = 4
_addresses = (f"203.0.113.{n}" for n in itertools.count(1))


@pytest.fixture(scope="module")
def app(postgres: peers.Peer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    name = f"intake_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    data_dir: Path = tmp_path_factory.mktemp("intake-limits")
    settings = Settings(
        data_dir=data_dir,
        database_url=postgres.url.replace("{db}", name),
        trusted_proxies="127.0.0.1",
    )
    options = IntakeSettings(
        portal_requests_per_minute=LIMIT,
        media_requests_per_minute=LIMIT,
        open311_requests_per_minute=LIMIT,
    )
    with TestClient(driven(build(settings, options))) as client:
        yield client


def _citizen(app: TestClient) -> TestClient:
    return TestClient(app_of(app), client=(next(_addresses), 5000))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/public/categories?q=zyrm",
        "/api/v1/public/places?q=chaoyang",
        "/api/v1/public/places/near?lat=39.9&lon=116.4",
        "/api/v1/public/track/not-a-valid-token",
        "/media/ph_nosuchphoto/thumbnail",
        "/media/ph_nosuchphoto",
    ],
)
def test_public_reads_are_limited_per_address(app: TestClient, path: str) -> None:
    citizen = _citizen(app)
    served = [citizen.get(path).status_code for _ in range(LIMIT)]
    assert 429 not in served and 500 not in served
    refused = citizen.get(path, headers={"Accept-Language": "en"})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many requests; try again in" in refused.json()["detail"]
    assert "请求过于频繁" in citizen.get(path).json()["detail"]  # Chinese by default
    assert _citizen(app).get(path).status_code != 429, "another address is still served"


@pytest.mark.parametrize("path", ["/report", "/track", "/track/some-token-value"])
def test_the_citizens_pages_are_limited_too(app: TestClient, path: str) -> None:
    citizen = _citizen(app)
    assert [citizen.get(path).status_code for _ in range(LIMIT)] == [200] * LIMIT
    refused = citizen.get(path)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert refused.headers["content-type"] == "application/problem+json"


def test_the_portal_counts_every_route_of_one_address_together(app: TestClient) -> None:
    citizen = _citizen(app)
    for _ in range(LIMIT):
        citizen.get("/api/v1/public/categories")
    guess = citizen.post("/api/v1/public/codes/abc/verify", json={"code": "123456"})
    assert guess.status_code == 429


def test_a_forged_forwarded_for_does_not_dodge_the_limit(app: TestClient) -> None:
    # Through the trusted proxy (127.0.0.1) the client is the address the proxy saw, the
    # right-most; what the client wrote to its left varies freely and counts for nothing.
    proxy = TestClient(app_of(app), client=("127.0.0.1", 5000))
    answers = [
        proxy.get(
            "/api/v1/public/places", headers={"X-Forwarded-For": f"10.9.{n}.1, 198.18.0.7"}
        ).status_code
        for n in range(LIMIT + 1)
    ]
    assert answers == [200] * LIMIT + [429]
    other = {"X-Forwarded-For": "198.18.0.8"}
    assert proxy.get("/api/v1/public/places", headers=other).status_code == 200


def test_open311_is_limited_per_address_in_its_own_error_form(app: TestClient) -> None:
    citizen = _citizen(app)
    for _ in range(LIMIT):
        assert citizen.get("/open311/v2/services.json").status_code == 200
    refused = citizen.get("/open311/v2/services.xml")
    assert refused.status_code == 429
    assert "<code>429</code>" in refused.text
    post = citizen.post("/open311/v2/requests.json", data={"api_key": "guess"})
    assert post.status_code == 429
    assert post.json()[0]["code"] == 429

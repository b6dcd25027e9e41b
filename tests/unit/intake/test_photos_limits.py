"""The upload route's body allowance: a photo's worth on that route only, refused with the
photo's own message past it; every other route keeps the app's ceiling."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from services.common.i18n import register
from services.common.limits import Allowance, BodyLimit, allow_larger
from services.common.problems import install_problem_handlers
from services.intake.messages import MESSAGES

CEILING = 1024


def _client() -> TestClient:
    register(MESSAGES)
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=CEILING)

    @app.post("/upload")
    @app.post("/other")
    async def take(request: Request) -> dict[str, Any]:
        return {"read": len(await request.body())}

    allow_larger(app, "/upload", Allowance(4 * CEILING, "intake.photo_too_large"))
    return TestClient(app)


def test_only_the_upload_route_takes_a_larger_body() -> None:
    client = _client()
    assert client.post("/upload", content=b"x" * 3 * CEILING).json() == {"read": 3 * CEILING}
    refused = client.post("/other", content=b"x" * 3 * CEILING)
    assert refused.status_code == 413
    assert refused.json()["type"].endswith("/request.body_too_large")


def test_past_its_allowance_the_upload_is_refused_with_the_photos_message() -> None:
    client = _client()
    refused = client.post("/upload", content=b"x" * 5 * CEILING, headers={"Accept-Language": "en"})
    assert refused.status_code == 413
    assert refused.json()["detail"] == "A photo may be at most 5 MB; shrink it or choose another"

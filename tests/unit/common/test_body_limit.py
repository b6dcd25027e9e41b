"""The body limit refuses before anything reads past it: a declared length over the limit
is not read at all, a chunked body is read only until it passes the limit, and the app
behind never sees a byte beyond it."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from starlette.types import Message

from services.common.limits import BodyLimit
from services.common.problems import install_problem_handlers

LIMIT = 1024
CHUNK = 256


def _app() -> tuple[FastAPI, list[Any]]:
    app = FastAPI()
    install_problem_handlers(app)
    ran: list[Any] = []

    @app.post("/echo")
    def echo(body: dict[str, Any]) -> dict[str, int]:
        ran.append(body)
        return {"keys": len(body)}

    return app, ran


def _request(length: int | None, chunks: int) -> tuple[dict[str, Any], Any, list[int]]:
    headers = [(b"content-type", b"application/json"), (b"accept-language", b"en")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": "/echo",
        "raw_path": b"/echo",
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    body = json.dumps({"text": "x" * (chunks * CHUNK)}).encode()
    parts = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]
    pulled: list[int] = []

    async def receive() -> Message:
        if len(pulled) == len(parts):
            return {"type": "http.disconnect"}
        part = parts[len(pulled)]
        pulled.append(len(part))
        return {"type": "http.request", "body": part, "more_body": len(pulled) < len(parts)}

    return scope, receive, pulled


def _run(length: int | None, chunks: int) -> tuple[list[Message], list[int], list[Any]]:
    app, ran = _app()
    scope, receive, pulled = _request(length, chunks)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    # A thread of its own: a session's browser fixture may already run an event loop here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, BodyLimit(app, LIMIT), scope, receive, send).result()
    return sent, pulled, ran


def _answer(sent: list[Message]) -> tuple[int, dict[str, Any]]:
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], json.loads(body)


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    sent, pulled, ran = _run(length=10 * LIMIT, chunks=40)
    status, problem = _answer(sent)
    assert status == 413 and problem["type"].endswith("request.body_too_large")
    assert problem["detail"] == "The request body is too large; the limit is 1 KiB."
    assert (b"content-type", b"application/problem+json") in sent[0]["headers"]
    assert pulled == [] and ran == []


def test_a_chunked_body_is_read_only_until_it_passes_the_limit() -> None:
    sent, pulled, ran = _run(length=None, chunks=40)
    status, problem = _answer(sent)
    assert status == 413 and problem["status"] == 413
    assert sum(pulled) == LIMIT + CHUNK  # the chunk that crossed it, and not one more
    assert ran == []
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]


@pytest.mark.parametrize("length", [None, "declared"])
def test_a_body_within_the_limit_reaches_the_route(length: str | None) -> None:
    body_size = len(json.dumps({"text": "x" * (2 * CHUNK)}))
    sent, _, ran = _run(length=body_size if length else None, chunks=2)
    assert _answer(sent) == (200, {"keys": 1}) and len(ran) == 1


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        BodyLimit(FastAPI(), 0)

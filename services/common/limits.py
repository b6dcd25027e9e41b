"""A ceiling on request bodies, enforced before anything reads or parses them.

Without it every route that takes JSON reads and parses whatever arrives in full: a few
large bodies at once, even to the anonymous rating endpoint, cost hundreds of megabytes.
A body declared larger than the limit (Content-Length) is refused at once, unread and
without running the route; a body that streams (chunked) is counted as it arrives and
refused as soon as it passes the limit. Either way the answer is a 413 problem.

Starlette's own `RequestBodyLimitMiddleware` is not used: with a Content-Length over the
limit it still runs the route and only refuses once the body is read, in plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.problems import Problem, render_problem

CODE = "request.body_too_large"


@dataclass(frozen=True)
class Allowance:
    """A larger limit for one route (an upload), refused with a problem of its own."""

    max_bytes: int
    code: str = CODE


class BodyLimit:
    """Plain ASGI middleware: refuses request bodies larger than `max_bytes`, or than the
    allowance of their route (`routes`: path below the root path → Allowance)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, routes: dict[str, Allowance] | None = None
    ) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self.app = app
        self.max_bytes = max_bytes
        self.routes = routes if routes is not None else {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.routes.get(_route_path(scope)) or Allowance(self.max_bytes)
        if _declared_length(scope) > limit.max_bytes:
            await _refuse(scope, receive, send, limit)
            return
        await _Guard(self.app, limit, scope, receive, send).run()


def allow_larger(app: Starlette, path: str, allowance: Allowance) -> None:
    """Lets requests to `path` (an upload route) carry bodies up to the allowance, while every
    other route keeps the app's ceiling. Call before the app serves its first request."""
    for entry in app.user_middleware:
        if entry.cls is BodyLimit:
            routes = cast(dict[str, Allowance], entry.kwargs.setdefault("routes", {}))
            routes[path] = allowance
            return
    raise LookupError("the app has no BodyLimit")


class _Guard:
    """One request's byte count. Past the limit it answers 413 itself and tells the app the
    client has gone (`http.disconnect`), so the route never runs; whatever the app still
    sends after that is dropped."""

    def __init__(self, app: ASGIApp, limit: Allowance, scope: Scope, receive: Receive, send: Send):
        self.app, self.limit = app, limit
        self.scope, self.receive, self.send = scope, receive, send
        self.counted = 0
        self.started = False
        self.refused = False

    async def run(self) -> None:
        await self.app(self.scope, self.counting_receive, self.guarded_send)

    async def counting_receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self.receive()
        if message["type"] == "http.request":
            self.counted += len(message.get("body", b""))
            if self.counted > self.limit.max_bytes:
                self.refused = True
                if not self.started:
                    await _refuse(self.scope, self.receive, self.send, self.limit)
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(self, message: Message) -> None:
        if self.refused:
            return
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)


def _declared_length(scope: Scope) -> int:
    # The server has already refused a malformed Content-Length; 0 stands for "none given".
    try:
        return int(Headers(scope=scope).get("content-length") or 0)
    except ValueError:
        return 0


def _route_path(scope: Scope) -> str:
    path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: Allowance) -> None:
    request = Request(scope, receive)
    problem = Problem(413, limit.code, limit=_size(limit.max_bytes))
    response = render_problem(request, problem)
    # The unread body stays on the connection: the server must not read it as a request.
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


def _size(limit: int) -> str:
    """1048576 -> "1 MiB": the limit as people write it."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit} B"

"""Per-address limits on intake's public routes (an architecture rule: every public route is
rate limited). Counted per instance in memory (services.common.ratelimit): they stop a script
guessing tracking links or photo ids, or scraping the catalogue, not a distributed attack."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from fastapi import Depends, Request, params
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.clients import Networks, client_address
from services.common.problems import Problem, render_problem
from services.common.ratelimit import FixedWindowLimiter
from services.intake import metrics

WINDOW_SECONDS = 60.0


def wait_for(limiter: FixedWindowLimiter, request: Request, proxies: Networks) -> int:
    """0 when the request may go ahead (it is counted), else whole seconds to wait."""
    wait = limiter.hit(client_address(request, proxies))
    return 0 if wait is None else max(1, math.ceil(wait))


def per_address(per_minute: int, proxies: Networks, scope: str) -> Callable[[Request], None]:
    """A route dependency: 429 with Retry-After past `per_minute` requests from one client
    address (the one behind the trusted proxies)."""
    limiter = FixedWindowLimiter(per_minute, WINDOW_SECONDS)

    def guard(request: Request) -> None:
        seconds = wait_for(limiter, request, proxies)
        if seconds:
            metrics.RATE_LIMITED.labels(scope).inc()
            headers = {"Retry-After": str(seconds)}
            raise Problem(429, "intake.rate_limited", headers=headers, seconds=seconds)

    return guard


def limited(per_minute: int, proxies: Networks, scope: str) -> params.Depends:
    return Depends(per_address(per_minute, proxies, scope))


class PublicPages:
    """The same limit on the citizens' pages (/report, /track, /track/{token}), which are
    served outside the API's routers: matched at the path's end, under any root path."""

    PAGES = re.compile(r"/(report|track(/[^/]+)?)/?$")

    def __init__(self, app: ASGIApp, per_minute: int, proxies: Networks) -> None:
        self.app = app
        self.guard = per_address(per_minute, proxies, "portal")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and self.PAGES.search(path) and "/api/" not in path:
            request = Request(scope)
            try:
                self.guard(request)
            except Problem as refused:
                await render_problem(request, refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)

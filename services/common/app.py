"""The app factory: every service gets health, readiness, metrics, auth, problem details,
correlation ids and its background workers from here, built from explicit dependencies."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, text

from proto.envelope import new_id
from services.common import metrics
from services.common.auth import AuthContext, auth_router
from services.common.bus import Bus
from services.common.logs import correlation_id
from services.common.problems import install_problem_handlers
from services.common.relay import Relay
from services.common.workers import Worker

log = logging.getLogger(__name__)


@dataclass
class Platform:
    """What a service process runs on, assembled once by the service's bootstrap."""

    service: str
    engine: Engine
    bus: Bus
    relay: Relay
    auth: AuthContext
    workers: list[Worker] = field(default_factory=list)
    checks: dict[str, Callable[[], bool]] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)


def create_app(platform: Platform, routers: Sequence[APIRouter], title: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for worker in platform.workers:
            worker.start()
        log.info("%s started with %d workers", platform.service, len(platform.workers))
        yield
        for worker in platform.workers:
            worker.stop()
        for close in platform.closers:
            close()
        platform.engine.dispose()

    app = FastAPI(title=title, version="1.0", lifespan=lifespan, openapi_url="/api/v1/openapi.json")
    app.state.platform = platform
    app.state.auth = platform.auth
    install_problem_handlers(app)
    app.middleware("http")(_observe)
    app.include_router(_operations_router(platform))
    app.include_router(auth_router())
    for router in routers:
        app.include_router(router)
    return app


async def _observe(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Correlation id in and out, and RED metrics labelled by route template, not raw path."""
    token = correlation_id.set(request.headers.get("x-correlation-id") or new_id())
    started = time.perf_counter()
    try:
        response = await call_next(request)
    finally:
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        elapsed = time.perf_counter() - started
    metrics.HTTP_LATENCY.labels(request.method, path).observe(elapsed)
    metrics.HTTP_REQUESTS.labels(request.method, path, str(response.status_code)).inc()
    response.headers["x-correlation-id"] = correlation_id.get() or ""
    correlation_id.reset(token)
    return response


def _operations_router(platform: Platform) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": platform.service}

    @router.get("/readyz")
    def readyz() -> JSONResponse:
        checks = {"database": _database_ok(platform.engine), "bus": platform.bus.ping()}
        checks |= {name: check() for name, check in platform.checks.items()}
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @router.get("/metrics")
    def metrics_endpoint() -> Response:
        try:
            backlog, age = platform.relay.backlog()
        except Exception:
            # The database is away: the other metrics (failures, lag) matter most now, so
            # they are still served, with the outbox gauges as last measured.
            log.warning("outbox backlog unavailable", exc_info=True)
        else:
            metrics.OUTBOX_BACKLOG.set(backlog)
            metrics.OUTBOX_OLDEST_AGE.set(age)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _database_ok(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        log.warning("database not reachable", exc_info=True)
        return False

"""The app factory: every service gets health, readiness, metrics, auth, problem details,
correlation ids and its background workers from here, built from explicit dependencies."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, text
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proto.envelope import new_id
from services.common import idempotency, metrics
from services.common.auth import AuthContext, auth_router
from services.common.bus import Bus
from services.common.limits import BodyLimit
from services.common.logs import correlation_id
from services.common.openapi import document_problems
from services.common.problems import install_problem_handlers
from services.common.relay import Relay
from services.common.settings import MAX_BODY_BYTES
from services.common.web.docs import docs_router
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
    max_body_bytes: int = MAX_BODY_BYTES


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

    app = FastAPI(
        title=title,
        version="1.0",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served offline by docs_router, not from a CDN
        redoc_url=None,
    )
    app.state.platform = platform
    app.state.auth = platform.auth
    install_problem_handlers(app)
    idempotency.install(app, platform.engine, platform.auth.address_key)
    app.add_middleware(BodyLimit, max_bytes=platform.max_body_bytes)
    app.add_middleware(_Observe)
    app.include_router(_operations_router(platform))
    app.include_router(auth_router())
    app.include_router(docs_router())
    for router in routers:
        app.include_router(router)
    metrics.declare_routes(app)
    document_problems(app)
    return app


class _Observe:
    """Correlation id in and out, and RED metrics labelled by route template, not raw path.

    A plain ASGI middleware: `app.middleware("http")` would run every request through an
    extra task and a response stream, a large share of a small request's CPU.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-correlation-id")
        token = correlation_id.set(given or new_id())
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["x-correlation-id"] = correlation_id.get() or ""
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            elapsed = time.perf_counter() - started
            metrics.HTTP_LATENCY.labels(scope["method"], path).observe(elapsed)
            metrics.HTTP_REQUESTS.labels(scope["method"], path, str(status)).inc()
            correlation_id.reset(token)


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

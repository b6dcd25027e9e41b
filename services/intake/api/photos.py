"""Photos: upload (no sign-in, throttled per client address) and the public media routes.

A photo's id is its only secret (random, 128 bits): the media routes serve it to anyone who
has it, as the citizen's own page and the staff's pages both need to.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Path, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.clients import Networks, client_address
from services.common.clock import utcnow
from services.common.limits import Allowance
from services.common.problems import Problem, field_problem
from services.common.throttle import Tally, ThrottlePolicy
from services.intake.api.limits import limited
from services.intake.domain.photos import MAX_BYTES
from services.intake.handlers import photos
from services.intake.handlers.context import IntakeContext

UPLOAD = "/api/v1/photos"
# The multipart envelope around the photo: boundaries and part headers.
UPLOAD_ALLOWANCE = Allowance(MAX_BYTES + 64 * 1024, "intake.photo_too_large")
# Stored photos never change: an id always names the same bytes.
MEDIA_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
}
# An id's own characters only: a NUL, which PostgreSQL refuses in text, never reaches a query.
PhotoId = Annotated[str, Path(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
JPEG_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"description": "A JPEG", "content": {"image/jpeg": {"schema": {"type": "string"}}}}
}


class StoredPhotoRead(BaseModel):
    id: str
    url: str = Field(description="The photo, under intake's root path")
    thumbnail_url: str = Field(description="Its thumbnail (JPEG, at most 320 px)")
    content_type: str
    width: int
    height: int
    bytes: int


class UploadThrottle:
    """Uploads per client address, in this process's memory, counted like sign-in failures
    (services.common.throttle): the first `free` cost nothing, each further one waits twice
    as long as the one before; an hour without uploads forgets them."""

    def __init__(
        self, free: int, clock: Callable[[], datetime] = utcnow, max_keys: int = 100_000
    ) -> None:
        self.policy = ThrottlePolicy(free_per_account=free, free_per_address=free)
        self._clock = clock
        self._max_keys = max_keys
        self._tallies: dict[str, Tally] = {}
        self._lock = threading.Lock()

    def hit(self, address: str) -> float:
        """0 when the upload may go ahead (and counts it), else the seconds to wait."""
        now = self._clock()
        with self._lock:
            tally = self._tallies.get(address, Tally())
            if tally.last is not None and tally.last < self.policy.since(now):
                tally = Tally()
            wait = self.policy.wait(Tally(), tally, now)
            if wait == 0:
                if len(self._tallies) >= self._max_keys:
                    self._tallies.clear()  # a flood of addresses: start afresh
                self._tallies[address] = tally.plus(1, now)
        return wait


class SiblingOrigins:
    """Lets the other services' pages, on their own ports of the same host, read the
    upload's answers (the department workbench uploads here). Behind the proxy every page
    shares one origin and this adds nothing. No credentials: uploading needs no sign-in."""

    def __init__(self, app: ASGIApp, ports: frozenset[int]) -> None:
        self.app, self.ports = app, ports

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _sibling(scope, self.ports) if scope["type"] == "http" else None
        if origin is None:
            await self.app(scope, receive, send)
            return

        async def allowed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = origin
                headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, allowed)


def _sibling(scope: Scope, ports: frozenset[int]) -> str | None:
    if not str(scope.get("path", "")).endswith(UPLOAD):
        return None
    headers = Headers(scope=scope)
    origin = headers.get("origin", "")
    try:
        parsed, host = urlsplit(origin), urlsplit("//" + headers.get("host", ""))
        same_host = parsed.hostname is not None and parsed.hostname == host.hostname
        return origin if same_host and parsed.port in ports else None
    except ValueError:
        return None


def router(
    intake: IntakeContext, proxies: Networks, uploads_free: int, media_per_minute: int = 600
) -> APIRouter:
    api = APIRouter(tags=["photos"])
    media = [limited(media_per_minute, proxies, "media")]
    throttle = UploadThrottle(uploads_free)

    def throttled(request: Request) -> None:
        wait = throttle.hit(client_address(request, proxies))
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            headers = {"Retry-After": str(seconds)}
            raise Problem(429, "intake.photo_rate_limited", headers=headers, seconds=seconds)

    @api.post(UPLOAD, status_code=201)
    async def upload_photo(request: Request, file: UploadFile) -> StoredPhotoRead:
        """A JPEG, PNG or WebP photo of at most 5 MB (its type read from its content),
        stored re-encoded without EXIF or GPS, with a thumbnail. No sign-in; throttled per
        client address (429). Photos not sent with a report within a day are deleted."""
        throttled(request)
        data = await file.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise field_problem("file", "intake.photo_too_large", status=413)
        stored = await anyio.to_thread.run_sync(photos.store_photo, intake, data)
        url = f"{request.scope.get('root_path', '').rstrip('/')}/media/{stored.id}"
        return StoredPhotoRead(
            id=stored.id,
            url=url,
            thumbnail_url=f"{url}/thumbnail",
            content_type=stored.content_type,
            width=stored.width,
            height=stored.height,
            bytes=stored.bytes,
        )

    @api.get(
        "/media/{photo_id}", response_class=Response, responses=JPEG_ANSWER, dependencies=media
    )
    def photo(photo_id: PhotoId) -> Response:
        """The photo, re-encoded (public: its id is unguessable)."""
        return _media(photos.photo_content(intake, photo_id, thumbnail=False))

    @api.get(
        "/media/{photo_id}/thumbnail",
        response_class=Response,
        responses=JPEG_ANSWER,
        dependencies=media,
    )
    def thumbnail(photo_id: PhotoId) -> Response:
        """Its thumbnail, a JPEG at most 320 px on the long side."""
        return _media(photos.photo_content(intake, photo_id, thumbnail=True))

    return api


def _media(found: tuple[str, bytes]) -> Response:
    content_type, data = found
    return Response(data, media_type=content_type, headers=MEDIA_HEADERS)

"""Credentialed cross-origin requests between the platform's own services, and no others.

On their own ports each service is an origin of its own, so a page of one (the intake console
on :8001) asking another (dispatch on :8002) is a cross-origin request with the session
cookie. It is let through only for an origin on the very host and scheme the browser used for
this request and on one of the platform's service ports; any other origin gets no CORS header
at all, so the browser keeps its answer from the page. Behind the proxy every page and API is
one origin and none of this is needed.

A sibling may only do what the pages do across services: GET, and POST with a JSON body and
no Idempotency-Key (a question, such as intake's console asking dispatch where categories
would go). No page updates or deletes in another service, so a preflight for PUT, PATCH,
DELETE or an Idempotency-Key is refused: a script slipped into one service's page cannot
drive the others' changes (docs/security.md)."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

METHODS = ("GET", "POST")
HEADERS: tuple[str, ...] = ()  # besides the safelisted ones (Accept-Language, Content-Type)


class SiblingOrigins:
    """Starlette's CORS handling, for a sibling service's origin only (see the module)."""

    def __init__(self, app: ASGIApp, ports: Collection[int]) -> None:
        self.app = app
        self.ports = frozenset(ports)
        # Whether an origin may ask is decided here, per request; the wrapped handler only
        # writes the headers (it mirrors the origin, as credentials require).
        self.cors = CORSMiddleware(
            app,
            allow_origin_regex=".*",
            allow_methods=METHODS,
            allow_headers=HEADERS,
            allow_credentials=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.is_sibling(scope):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def is_sibling(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        origin, host = headers.get("origin"), headers.get("host")
        if not origin or not host:
            return False
        try:
            asking = urlsplit(origin)
            port = asking.port
            here = urlsplit(f"//{host}").hostname
        except ValueError:  # a malformed Origin or Host is nobody's sibling
            return False
        return (
            asking.scheme == scope.get("scheme")
            # What a browser sends is scheme://host:port alone; anything else is forged.
            and "@" not in asking.netloc
            and (asking.path, asking.query, asking.fragment) == ("", "", "")
            and asking.hostname is not None
            and asking.hostname == here
            and port in self.ports
        )

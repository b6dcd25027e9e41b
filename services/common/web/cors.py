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
DELETE or an Idempotency-Key is refused: a script slipped into one service's page reaches
no update or deletion of the others, only their POSTs (docs/security.md).

The session cookie is SameSite=Lax, which keeps it off a POST from another site, but not off
one from another origin of the same site: another port of this host, another subdomain of
the domain. A form there can POST, and a change that takes no body (acknowledge, revoke,
accept) would go through. So a change (any method but GET, HEAD, OPTIONS) carrying the
session cookie from a page of any origin other than this one or a sibling is refused with
403 before it reaches a route. Without the cookie nothing is refused: no ambient credential,
no forgery (tokens in a header, anonymous forms such as Open311's)."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import SplitResult, urlsplit

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.auth import TOKEN_COOKIE
from services.common.i18n import register
from services.common.problems import Problem, render_problem

METHODS = ("GET", "POST")
HEADERS: tuple[str, ...] = ()  # besides the safelisted ones (Accept-Language, Content-Type)
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
MESSAGES = {
    "request.cross_origin": {
        "zh": "该操作来自其他网页，已拒绝；请在本平台的页面上操作",
        "en": "Refused: this change came from another site's page; use the platform's own pages",
    },
}


class SiblingOrigins:
    """Starlette's CORS handling, for a sibling service's origin only (see the module)."""

    def __init__(self, app: ASGIApp, ports: Collection[int]) -> None:
        register(MESSAGES)
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
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif self.is_sibling(scope):
            await self.cors(scope, receive, send)
        elif is_forged(scope):
            refused = Problem(403, "request.cross_origin")
            await render_problem(Request(scope), refused)(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def is_sibling(self, scope: Scope) -> bool:
        asking, here = _origin_and_host(scope)
        if asking is None or here is None:
            return False
        try:
            ports = asking.port, here.port
        except ValueError:  # a malformed port is nobody's sibling
            return False
        return (
            asking.scheme == scope.get("scheme")
            # What a browser sends is scheme://host:port alone; anything else is forged.
            and "@" not in asking.netloc
            and (asking.path, asking.query, asking.fragment) == ("", "", "")
            and asking.hostname is not None
            and asking.hostname == here.hostname
            and ports[0] in self.ports
        )


def is_forged(scope: Scope) -> bool:
    """A change with the session cookie from a page of another origin (not a sibling: that
    was asked first). The scheme is not compared: behind a TLS proxy the service sees http
    where the browser used https, and host and port already tell the origins apart."""
    if scope.get("method") in SAFE or TOKEN_COOKIE not in Request(scope).cookies:
        return False
    asking, here = _origin_and_host(scope)
    if asking is None:
        return Headers(scope=scope).get("origin") is not None  # present but unreadable
    try:
        return here is None or (asking.hostname, asking.port) != (here.hostname, here.port)
    except ValueError:
        return True


def _origin_and_host(scope: Scope) -> tuple[SplitResult | None, SplitResult | None]:
    headers = Headers(scope=scope)
    origin, host = headers.get("origin"), headers.get("host")
    try:
        asking = urlsplit(origin) if origin else None
        here = urlsplit(f"//{host}") if host else None
    except ValueError:  # a malformed Origin or Host
        return None, None
    return asking, here

"""Pages for people: HTML shells + the shared script and style, served by each service under
its root path, talking to the service's own JSON API with the session cookie. Nothing from a
CDN.

Labels of the platform's fixed values (statuses, urgencies, …) come from proto/vocabulary.py:
every service serves them as `/static/vocabulary.js`, which `_head.html` loads before any
page script, so no page keeps a copy.

A page is a small template: the service renders into it where it is served (its root path,
"" on its own port, "/intake" behind the proxy) and where its siblings' pages are, so every
URL in a page or script is built from those two and none is absolute on the origin.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from proto.vocabulary import dictionary
from services.common.settings import PORTS, Settings
from services.common.web.cors import SiblingOrigins

WEB = Path(__file__).resolve().parent
COMMON_STATIC = WEB / "static"
COMMON_PAGES = WEB / "pages"
# Rendered once: it changes only with the code. hotline.js merges it into its dictionary.
VOCABULARY_JS = (
    "// Generated from proto/vocabulary.py: labels of the platform's fixed values.\n"
    f"window.HOTLINE_VOCABULARY = {json.dumps(dictionary(), ensure_ascii=False, sort_keys=True)};\n"
)


def mount_pages(
    app: FastAPI,
    pages_dir: Path,
    pages: dict[str, str],
    home: str,
    settings: Settings,
    headers: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Serves `pages` (URL path → template in pages_dir, with `headers[path]` if given), the
    login page, shared assets at /static/common, the vocabulary's labels at
    /static/vocabulary.js and the service's own assets at /static/own; `/` redirects to
    `home`. The sibling services' pages may call this service's API with the session cookie
    (web/cors.py)."""
    app.add_middleware(SiblingOrigins, ports=[settings.port(name) for name in PORTS])

    @app.get("/static/vocabulary.js", include_in_schema=False)
    def vocabulary() -> Response:
        return Response(
            VOCABULARY_JS,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    app.mount("/static/common", StaticFiles(directory=COMMON_STATIC), name="common-static")
    own = pages_dir / "static"
    if own.is_dir():
        app.mount("/static/own", StaticFiles(directory=own), name="own-static")
    templates = Jinja2Templates(directory=[pages_dir, COMMON_PAGES])
    _add_page(app, templates, settings, "/login", "login.html", {})
    for path, filename in pages.items():
        _add_page(app, templates, settings, path, filename, (headers or {}).get(path, {}))

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        # Relative, so it also lands right behind the proxy's /<service>/ prefix.
        return RedirectResponse(home.lstrip("/"))


def root_path(request: Request) -> str:
    """Where this service is served on its origin: "" on its own port, "/intake" behind
    the proxy (uvicorn's --root-path, from HOTLINE_ROOT_PATH)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def service_bases(request: Request, settings: Settings) -> dict[str, str]:
    """Where each service's pages are, as this browser reaches them. Behind the proxy the
    services sit side by side, each under its own name (/intake beside /dispatch); on their
    own ports, each listens on its port of the host the browser used."""
    root = root_path(request)
    if root:
        parent = root.rsplit("/", 1)[0]
        return {name: f"{parent}/{name}" for name in PORTS}
    host = request.url.hostname or settings.host
    host = f"[{host}]" if ":" in host else host
    return {name: f"{request.url.scheme}://{host}:{settings.port(name)}" for name in PORTS}


def _add_page(
    app: FastAPI,
    templates: Jinja2Templates,
    settings: Settings,
    path: str,
    template: str,
    headers: Mapping[str, str],
) -> None:
    # Pages are shells; data comes from the API, so they may be cached only briefly.
    sent = {"Cache-Control": "no-cache", **headers}

    def page(request: Request) -> Response:
        context = {"root": root_path(request), "services": service_bases(request, settings)}
        return templates.TemplateResponse(request, template, context, headers=sent)

    app.add_api_route(path, page, methods=["GET"], include_in_schema=False)

"""Pages for people: static HTML + the shared script and style, served by each service under
`/`, talking to the service's own JSON API with the session cookie. Nothing from a CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

COMMON_STATIC = Path(__file__).resolve().parent / "static"


def mount_pages(app: FastAPI, pages_dir: Path, pages: dict[str, str], home: str) -> None:
    """Serves `pages` (URL path → HTML file in pages_dir), the login page, shared assets at
    /static/common and the service's own at /static/own; `/` redirects to `home`."""
    app.mount("/static/common", StaticFiles(directory=COMMON_STATIC), name="common-static")
    own = pages_dir / "static"
    if own.is_dir():
        app.mount("/static/own", StaticFiles(directory=own), name="own-static")
    _add_page(app, "/login", COMMON_STATIC / "login.html")
    for path, filename in pages.items():
        _add_page(app, path, pages_dir / filename)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        # Relative, so it also lands right behind the proxy's /<service>/ prefix.
        return RedirectResponse(home.lstrip("/"))


def _add_page(app: FastAPI, path: str, file: Path) -> None:
    def page() -> FileResponse:
        # Pages are shells; data comes from the API, so they may be cached only briefly.
        return FileResponse(file, media_type="text/html", headers={"Cache-Control": "no-cache"})

    app.add_api_route(path, page, methods=["GET"], include_in_schema=False)

"""The API documentation (/docs: Swagger UI, /redoc: ReDoc) and the service's icon, served by
the service itself under its root path, so both work on an intranet with no internet.

Swagger UI comes from the `swagger_ui_bundle` package (PyPI `swagger-ui-bundle-v2`, pinned in
pyproject.toml). ReDoc is the standalone bundle of npm `redoc` 2.5.4, vendored unchanged as
static/redoc.standalone.js beside its licence file (`npm pack redoc@2.5.4`,
bundles/redoc.standalone.js and bundles/redoc.standalone.js.LICENSE.txt).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from services.common.web import COMMON_STATIC, root_path

SWAGGER_UI = Path(str(swagger_ui_path))
# Only what the docs pages load; the bundle's own index.html points at a public demo API.
ASSETS = {
    "swagger-ui-bundle.js": (SWAGGER_UI / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (SWAGGER_UI / "swagger-ui.css", "text/css"),
    "redoc.standalone.js": (COMMON_STATIC / "redoc.standalone.js", "text/javascript"),
}
# A day: the assets change only with the package version, and the page revalidates after.
ASSET_HEADERS = {"Cache-Control": "public, max-age=86400"}
# Nothing from outside, whatever a bundle asks for (ReDoc's sidebar shows a logo from its
# vendor's CDN): the page's own inline start-up script and styles, workers from blobs.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; "
    "frame-ancestors 'none'"
}


def docs_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    def swagger_ui(request: Request) -> HTMLResponse:
        root = root_path(request)
        page = get_swagger_ui_html(
            openapi_url=root + str(request.app.openapi_url),
            title=f"{request.app.title} · API",
            swagger_js_url=f"{root}/static/docs/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/static/docs/swagger-ui.css",
            swagger_favicon_url=f"{root}/favicon.ico",
            # No badge from the public validator: it would send the spec's address out.
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers.update(PAGE_HEADERS)
        return page

    @router.get("/redoc")
    def redoc(request: Request) -> HTMLResponse:
        root = root_path(request)
        page = get_redoc_html(
            openapi_url=root + str(request.app.openapi_url),
            title=f"{request.app.title} · API",
            redoc_js_url=f"{root}/static/docs/redoc.standalone.js",
            redoc_favicon_url=f"{root}/favicon.ico",
            with_google_fonts=False,
        )
        page.headers.update(PAGE_HEADERS)
        return page

    for name, (path, media_type) in ASSETS.items():
        _add_asset(router, f"/static/docs/{name}", path, media_type)

    @router.get("/favicon.ico")
    def favicon() -> FileResponse:
        return FileResponse(COMMON_STATIC / "favicon.ico", media_type="image/x-icon")

    return router


def _add_asset(router: APIRouter, url: str, path: Path, media_type: str) -> None:
    def asset() -> FileResponse:
        return FileResponse(path, media_type=media_type, headers=ASSET_HEADERS)

    router.add_api_route(url, asset, methods=["GET"])

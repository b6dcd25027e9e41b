"""The month in public (docs/public-results.md): the published months' figures as JSON and
CSV, the data dictionary and the page, for anyone, without signing in; limited per client
address like intake's public routes (429 with Retry-After)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from services.common.clients import Networks, client_address
from services.common.clock import utcnow
from services.common.i18n import register
from services.common.problems import Problem
from services.common.ratelimit import FixedWindowLimiter
from services.common.settings import Settings
from services.common.web import COMMON_PAGES, root_path, service_bases
from services.search.domain.public_dictionary import CSV_COLUMNS, csv_rows
from services.search.handlers.public import PublicMonths

CSV = "text/csv; charset=utf-8"
BOM = "\ufeff"  # so that Excel reads the file as UTF-8 and shows the Chinese names
MESSAGES = {
    "search.public.not_closed": {
        "zh": "{month} 的数据尚未公布（将于 {on} 公布）",
        "en": "{month} is not published yet (it will be on {on})",
    },
    "search.public.empty": {
        "zh": "{month} 没有可公布的数据",
        "en": "{month} has no figures to publish",
    },
    "search.public.rate_limited": {
        "zh": "请求过于频繁，请 {seconds} 秒后再试",
        "en": "Too many requests: try again in {seconds} s",
    },
}


def per_address(per_minute: int, proxies: Networks) -> Any:
    """A route dependency: 429 with Retry-After past `per_minute` requests from one client
    address (the one behind the trusted proxies), counted on this instance."""
    limiter = FixedWindowLimiter(per_minute, 60.0)

    def guard(request: Request) -> None:
        wait = limiter.hit(client_address(request, proxies))
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            headers = {"Retry-After": str(seconds)}
            raise Problem(429, "search.public.rate_limited", headers=headers, seconds=seconds)

    return Depends(guard)


def router(
    published: PublicMonths,
    settings: Settings,
    pages: Path,
    per_minute: int,
    proxies: Networks,
) -> APIRouter:
    register(MESSAGES)
    limited = per_address(per_minute, proxies)
    api = APIRouter(tags=["public"], dependencies=[limited])
    templates = Jinja2Templates(directory=[pages, COMMON_PAGES])

    @api.get("/public", include_in_schema=False)
    def page(request: Request) -> Response:
        context = {"root": root_path(request), "services": service_bases(request, settings)}
        headers = {"Cache-Control": "no-cache"}
        return templates.TemplateResponse(request, "public.html", context, headers=headers)

    @api.get("/api/v1/public/months")
    def months() -> dict[str, Any]:
        """The published months, newest first, each with its sealed root (null until every
        day of it is sealed), and the latest month closed now."""
        return published.listing(utcnow())

    @api.get("/api/v1/public/dictionary")
    def dictionary() -> dict[str, Any]:
        """Every published field: its definition (zh, en), unit and suppression rule."""
        return published.dictionary()

    # The file's route first: `{month}` alone would also match "2026-11.csv".
    @api.get(
        "/api/v1/public/months/{month}.csv",
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    def as_csv(month: str) -> Response:
        """The month as one CSV (UTF-8 with a BOM): a row per cell, its table in `section`;
        suppressed numbers empty with `suppressed` true. 404 before the month closes."""
        found = published.month(month, utcnow())
        out = io.StringIO()
        out.write(BOM)
        writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(csv_rows(found["month"], found, found["root"]))
        name = f"hotline-public-{found['month']}.csv"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(out.getvalue().encode("utf-8"), media_type=CSV, headers=disposition)

    @api.get("/api/v1/public/months/{month}")
    def as_json(month: str) -> dict[str, Any]:
        """The month's figures: tickets received in all and by channel, top-level category
        and district; the three rates and the rank per department and per street and
        city-wide; the monthly themes' progress; its sealed root. Suppressed cells are null
        with `suppressed` true. 422 for a malformed month, 404 before it closes."""
        return published.month(month, utcnow())

    return api

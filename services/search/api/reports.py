"""The monthly report (月度报告): a month's figures as sections (JSON, for the page), as an
XLSX workbook and as a PDF, for leaders, dispatchers and admins."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from proto.rates import Weights
from services.common.auth import Role, require_roles
from services.common.clock import utcnow
from services.common.i18n import Lang, negotiate
from services.search.domain.report import Report
from services.search.handlers import monthly
from services.search.handlers.context import SearchContext
from services.search.handlers.themes import ThemeBook

Readers = Depends(require_roles(Role.leader, Role.dispatcher))
LangParam = Annotated[Lang | None, Query(description="zh or en; Accept-Language if left out")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


def file_name(month: str, suffix: str) -> str:
    return f"hotline-report-{month}.{suffix}"


def router(reader: SearchContext, themes: ThemeBook | None, weights: Weights) -> APIRouter:
    api = APIRouter(prefix="/api/v1/reports", tags=["reports"], dependencies=[Readers])

    def made(month: str, request: Request, lang: Lang | None) -> Report:
        now = utcnow()
        chosen = monthly.month_of(month, now)
        language = lang or negotiate(request.headers.get("accept-language"))
        return monthly.report(reader, themes, weights, chosen, now, language)

    # The files' routes come first: `{month}` alone would also match "2026-11.xlsx".
    @api.get("/{month}.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
    def as_xlsx(month: str, request: Request, lang: LangParam = None) -> Response:
        """The month's report as a workbook: one sheet per section. 422 for a month that is
        malformed, before 1970 or not begun."""
        report = made(month, request, lang)
        from services.search.adapters import report_xlsx  # openpyxl: loaded when first asked

        return _download(report_xlsx.workbook(report), XLSX, file_name(report.month, "xlsx"))

    @api.get("/{month}.pdf", response_class=Response, responses={200: {"content": {PDF: {}}}})
    def as_pdf(month: str, request: Request, lang: LangParam = None) -> Response:
        """The month's report as a PDF: a table per section, the month and the time of the
        figures on every page. 422 as for the workbook."""
        report = made(month, request, lang)
        from services.search.adapters import report_pdf  # reportlab: loaded when first asked

        return _download(report_pdf.document(report), PDF, file_name(report.month, "pdf"))

    @api.get("/{month}")
    def as_json(month: str, request: Request, lang: LangParam = None) -> dict[str, Any]:
        """The month's report as its sections (titles, columns with the kind of their
        values, rows), as the page shows them. 422 as for the workbook."""
        report = made(month, request, lang)
        return {
            "month": report.month,
            "generated_at": report.generated_at.isoformat(),
            "lang": report.lang,
            "title": report.title(),
            "stamp": report.stamp(),
            "sections": [asdict(section) for section in report.sections],
        }

    return api


def _download(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

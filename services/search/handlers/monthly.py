"""A month's figures, one computation for the leaders' dashboard and the monthly report
(月度报告): `figures` is what GET /api/v1/dashboard answers, and `report` lays the same
dict out as the report's sections for the page, the XLSX and the PDF."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from proto.rates import Weights
from services.common.i18n import Lang
from services.search.adapters.index import TIME_ZONE
from services.search.domain import months as calendar
from services.search.domain.report import Report, sections
from services.search.handlers import insights
from services.search.handlers.context import SearchContext
from services.search.handlers.themes import ThemeBook

LISTED_THEMES = 100


def current_month(now: datetime) -> date:
    return now.astimezone(TIME_ZONE).date().replace(day=1)


def month_of(text: str | None, now: datetime) -> date:
    """The month `text` names (`YYYY-MM`), the month under way when None; Invalid (a 422)
    when it is malformed, before 1970 or has not begun."""
    today = now.astimezone(TIME_ZONE).date()
    return today.replace(day=1) if text is None else calendar.parse(text, today)


def figures(
    reader: SearchContext,
    themes: ThemeBook | None,
    weights: Weights,
    month: date,
    now: datetime,
    months: int = 6,
) -> dict[str, Any]:
    """The month's figures (`insights.month_figures`) and its monthly themes."""
    board = insights.month_figures(reader, month, weights, now, months)
    return board | {"themes": _themes(themes, month, now)}


def _themes(themes: ThemeBook | None, month: date, now: datetime) -> list[dict[str, Any]]:
    """The month under way: the active themes, as the dashboard's panel. A month that has
    ended: every theme begun by its last day, whatever its status now; progress as it
    stands now (tasks keep no history)."""
    if themes is None:
        return []
    if month == current_month(now):
        return themes.panel(now)
    last = (calendar.following(month) - timedelta(days=1)).isoformat()
    return [t for t in themes.listing(None, now, LISTED_THEMES) if t["starts_on"] <= last]


def report(
    reader: SearchContext,
    themes: ThemeBook | None,
    weights: Weights,
    month: date,
    now: datetime,
    lang: Lang,
) -> Report:
    """The monthly report: the month's figures as titled sections, in `lang`."""
    found = figures(reader, themes, weights, month, now)
    return Report(
        month=calendar.name(month),
        generated_at=now.astimezone(TIME_ZONE),
        lang=lang,
        sections=sections(found, lang),
    )

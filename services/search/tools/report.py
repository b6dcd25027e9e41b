"""`hotline report YYYY-MM`: the monthly report's XLSX and PDF written to a folder, from the
configured search store (its index and database, as `hotline rebuild-search` finds them)
with the code the service answers GET /api/v1/reports/{month}.xlsx and .pdf with."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from services.common.clock import utcnow
from services.common.db import make_engine, uow_factory
from services.common.i18n import Lang, register
from services.common.migrations import upgrade
from services.common.rate_weights import RateWeightSettings
from services.common.settings import Settings
from services.search.adapters import report_pdf, report_xlsx
from services.search.adapters.labels import LabelStore
from services.search.adapters.orm import metadata
from services.search.adapters.themes import theme_stores
from services.search.api.reports import file_name
from services.search.bootstrap import make_index
from services.search.config import SearchSettings
from services.search.handlers import monthly
from services.search.handlers.context import SearchContext
from services.search.handlers.themes import ThemeBook
from services.search.messages import MESSAGES


@dataclass(frozen=True)
class Written:
    files: list[Path]
    seconds: float


def write(
    settings: Settings,
    month: str,
    folder: Path,
    lang: Lang = "zh",
    now: datetime | None = None,
    options: SearchSettings | None = None,
) -> Written:
    """Writes hotline-report-<month>.xlsx and .pdf into `folder` (made if missing); Invalid
    for a month that is malformed, before 1970 or not begun."""
    register(MESSAGES)
    moment = now or utcnow()
    chosen = monthly.month_of(month, moment)
    url = settings.database_url_for("search")
    upgrade("search", url)  # as the service does at start: a fresh store has its tables
    engine = make_engine(url)
    weights = RateWeightSettings().weights()
    try:
        with closing(make_index(settings, options or SearchSettings())) as index:
            index.ensure()
            reader = SearchContext(index, sessionmaker(engine), LabelStore())
            read, change = theme_stores(
                sessionmaker(engine), uow_factory(engine, metadata, "search")
            )
            book = ThemeBook(reader, read, change, weights)
            report = monthly.report(reader, book, weights, chosen, moment, lang)
    finally:
        engine.dispose()
    folder.mkdir(parents=True, exist_ok=True)
    files = [folder / file_name(report.month, "xlsx"), folder / file_name(report.month, "pdf")]
    files[0].write_bytes(report_xlsx.workbook(report))
    files[1].write_bytes(report_pdf.document(report))
    return Written(files, (utcnow() - moment).total_seconds())

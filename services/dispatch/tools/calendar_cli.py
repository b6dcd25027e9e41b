"""`hotline calendar import FILE`: a year's holidays and make-up workdays into dispatch's
database, as `PUT /api/v1/calendar/{year}` does; running instances pick it up within
HOTLINE_DISPATCH_CALENDAR_REFRESH_SECONDS."""

from __future__ import annotations

import getpass
import json
from datetime import date
from pathlib import Path

from services.common.db import make_engine, uow_factory
from services.common.errors import DomainError
from services.common.i18n import register, t
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.dispatch.adapters.calendar_data import calendars
from services.dispatch.adapters.directory import Directory
from services.dispatch.adapters.orm import metadata
from services.dispatch.adapters.seed import load_policies
from services.dispatch.adapters.unit_of_work import DispatchUnitOfWork
from services.dispatch.handlers.calendar import import_year
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.messages import MESSAGES


def run(settings: Settings, path: Path) -> str:
    """Imports the file ({"year", "holidays", "workdays", "note"}); returns what was done or
    raises ValueError saying what is wrong with the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        year = int(data["year"])
        holidays = [date.fromisoformat(d) for d in data["holidays"]]
        workdays = [date.fromisoformat(d) for d in data.get("workdays", [])]
        note = str(data.get("note", ""))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    register(MESSAGES)
    url = settings.database_url_for("dispatch")
    upgrade("dispatch", url)
    engine = make_engine(url)
    try:
        uow = uow_factory(engine, metadata, "dispatch", DispatchUnitOfWork)
        deps = DispatchContext(uow, Directory(), load_policies(), calendars())
        by = f"cli:{getpass.getuser()}"
        import_year(deps, None, by, year, (holidays, workdays), note)
    except DomainError as exc:
        raise ValueError(f"{path}: {t(exc.code, 'zh', **exc.params)}") from exc
    finally:
        engine.dispose()
    return f"{year}: {len(holidays)} holidays, {len(workdays)} make-up workdays imported"

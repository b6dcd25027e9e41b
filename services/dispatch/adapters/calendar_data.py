"""The working-day calendar from its sources: years imported into the database first, then
the override file, then chinesecalendar, then (logged, once per year) Monday–Friday."""

from __future__ import annotations

import json
import logging
import tomllib
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from chinese_calendar import constants
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from services.dispatch import metrics
from services.dispatch.adapters.orm import calendar_changes, calendar_years, versions
from services.dispatch.adapters.repository import changed
from services.dispatch.domain.calendar import BEIJING, BusinessDays, Calendars, YearRules

log = logging.getLogger(__name__)
OVERRIDES = Path(__file__).resolve().parent.parent / "seed" / "calendar-overrides.toml"
# Days before the known calendar runs out from which dispatch warns (log, gauge, banner).
WARN_DAYS = 60


def package_rules() -> YearRules:
    """What the installed chinesecalendar knows (its years run up to its last holiday)."""
    years = frozenset(d.year for d in constants.holidays)
    return YearRules(years, frozenset(constants.holidays), frozenset(constants.workdays))


def override_rules(path: Path = OVERRIDES) -> YearRules:
    """The local notice file; raises ValueError naming the file when it is malformed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        entries = data.get("years", [])
        years = frozenset(int(e["year"]) for e in entries)
        holidays = frozenset(date.fromisoformat(d) for e in entries for d in e["holidays"])
        workdays = frozenset(date.fromisoformat(d) for e in entries for d in e["workdays"])
    except (OSError, tomllib.TOMLDecodeError, KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    stray = {d for d in holidays | workdays if d.year not in years}
    if stray:
        raise ValueError(f"{path}: dates outside the listed years: {sorted(stray)}")
    return YearRules(years, holidays, workdays)


def imported_rules(session: Session) -> YearRules:
    """The years imported through the API or the CLI."""
    rows = session.execute(select(calendar_years)).all()
    years = frozenset(r.year for r in rows)
    holidays = frozenset(date.fromisoformat(d) for r in rows for d in json.loads(r.holidays))
    workdays = frozenset(date.fromisoformat(d) for r in rows for d in json.loads(r.workdays))
    return YearRules(years, holidays, workdays)


def _fallback(year: int) -> None:
    metrics.CALENDAR_FALLBACK.inc()
    log.warning(
        "no holiday calendar for %d: counting Monday to Friday as working days; "
        "import the year's notice (PUT /api/v1/calendar/%d or `hotline calendar import`)",
        year,
        year,
    )


def business_days(imported: YearRules | None = None, path: Path = OVERRIDES) -> BusinessDays:
    first = [imported] if imported is not None else []
    return BusinessDays([*first, override_rules(path), package_rules()], on_fallback=_fallback)


def calendars(path: Path = OVERRIDES, opens: time = time(9), closes: time = time(18)) -> Calendars:
    """The calendars before any import is read (bootstrap then loads the imported years)."""
    return Calendars(business_days(None, path), opens, closes)


def report_known_until(days: BusinessDays, now: datetime) -> dict[str, Any]:
    """Sets the gauge; returns what the log, the desk's banner and the API say."""
    today = now.astimezone(BEIJING).date()
    until = days.known_until(today)
    left = (until - today).days
    metrics.CALENDAR_KNOWN_UNTIL_DAYS.set(left)
    return {"known_until": until, "days_left": left, "warning": left < WARN_DAYS}


CALENDAR_VERSION = "calendar"
_VERSION = select(versions.c.value).where(versions.c.name == CALENDAR_VERSION)
_YEAR = select(calendar_years).where(calendar_years.c.year == bindparam("b_year"))


class SqlCalendar:
    """Imported years, each change kept with who, when, before and after (留痕); the version
    row tells every instance to reload."""

    def __init__(self, session: Session):
        self._session = session

    def rules(self) -> YearRules:
        return imported_rules(self._session)

    def version(self) -> int:
        return self._session.execute(_VERSION).scalar() or 0

    def year(self, year: int) -> dict[str, Any] | None:
        row = self._session.execute(_YEAR, {"b_year": year}).first()
        return _stored(row._mapping) if row else None

    def put(self, rules: YearRules, note: str, by: str, now: datetime) -> None:
        (year,) = rules.years
        before = self.year(year)
        values = {
            "holidays": json.dumps(sorted(d.isoformat() for d in rules.holidays)),
            "workdays": json.dumps(sorted(d.isoformat() for d in rules.workdays)),
            "note": note,
            "imported_by": by,
            "imported_at": now,
        }
        if before is None:
            self._session.execute(insert(calendar_years).values(year=year, **values))
        else:
            where = calendar_years.c.year == year
            self._session.execute(update(calendar_years).where(where).values(values))
        after = _stored({"year": year, **values})
        self._session.execute(
            insert(calendar_changes).values(
                year=year,
                before=json.dumps(before, default=str, ensure_ascii=False) if before else None,
                after=json.dumps(after, default=str, ensure_ascii=False),
                by=by,
                at=now,
            )
        )
        bumped = self._session.execute(
            update(versions)
            .where(versions.c.name == CALENDAR_VERSION)
            .values(value=versions.c.value + 1)
        )
        if not changed(bumped):
            self._session.execute(insert(versions).values(name=CALENDAR_VERSION, value=1))

    def changes(self, year: int) -> list[dict[str, Any]]:
        rows = self._session.execute(
            select(calendar_changes)
            .where(calendar_changes.c.year == year)
            .order_by(calendar_changes.c.id)
        )
        return [
            {
                "by": r.by,
                "at": r.at,
                "before": json.loads(r.before) if r.before else None,
                "after": json.loads(r.after),
            }
            for r in rows
        ]


def _stored(m: Any) -> dict[str, Any]:
    return {
        "year": m["year"],
        "holidays": json.loads(m["holidays"]),
        "workdays": json.loads(m["workdays"]),
        "note": m["note"],
        "imported_by": m["imported_by"],
        "imported_at": m["imported_at"],
    }

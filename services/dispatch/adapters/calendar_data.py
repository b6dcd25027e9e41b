"""The working-day calendar from its sources: the override file first, then chinesecalendar,
then (logged, once per year) Monday–Friday."""

from __future__ import annotations

import logging
import tomllib
from datetime import date
from pathlib import Path

from chinese_calendar import constants

from services.dispatch import metrics
from services.dispatch.domain.calendar import WorkingDays, YearRules

log = logging.getLogger(__name__)
OVERRIDES = Path(__file__).resolve().parent.parent / "seed" / "calendar-overrides.toml"


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


def _fallback(year: int) -> None:
    metrics.CALENDAR_FALLBACK.inc()
    log.warning(
        "no holiday calendar for %d: counting Monday to Friday as working days; "
        "add the year's notice to the calendar override file",
        year,
    )


def working_days(path: Path = OVERRIDES) -> WorkingDays:
    return WorkingDays([override_rules(path), package_rules()], on_fallback=_fallback)

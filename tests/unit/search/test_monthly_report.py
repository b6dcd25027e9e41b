"""The monthly report's pure parts: the ranking's order, months as named in URLs, and the
value kinds the workbook and the PDF format by."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from proto.rates import Weights
from services.common.errors import Invalid
from services.search.adapters.report_pdf import shown
from services.search.adapters.report_xlsx import workbook
from services.search.domain import months, rates
from services.search.domain.report import Column, Report, Section, overview

WEIGHTS = Weights()


def row(key: str, rated: int, good: int) -> dict[str, int | str]:
    """`good` of `rated` ratings contacted in time, solved and satisfied; the rest not."""
    return {"key": key, "m_rated": rated, "m_responded": good, "m_solved": good,
            "m_satisfied": good, "m_basically_satisfied": 0}  # fmt: skip


def test_equal_scores_share_a_rank_and_the_next_skips() -> None:
    rows = [
        row("D-B", 2, 1),
        row("D-A", 4, 2),
        row("D-C", 1, 1),
        row("D-D", 2, 0),
        row("D-E", 0, 0),
    ]
    ranked = rates.ranked(rows, WEIGHTS)
    # D-A and D-B both score 1/2: more ratings first; D-E has none left (all excluded).
    assert [(r["key"], r["rank"], r["score"]) for r in ranked] == [
        ("D-C", 1, 1.0), ("D-A", 2, 0.5), ("D-B", 2, 0.5), ("D-D", 4, 0.0), ("D-E", None, None),
    ]  # fmt: skip
    city = rates.combined(rows, WEIGHTS)
    assert (city["m_rated"], city["resolution_rate"], city["score"]) == (9, 0.4444, 0.4444)


def test_the_worked_example_of_three_rates_md_scores_72_83() -> None:
    example = {"key": "A", "m_rated": 6, "m_responded": 5, "m_solved": 4, "m_satisfied": 3,
               "m_basically_satisfied": 2}  # fmt: skip
    (ranked,) = rates.ranked([example], WEIGHTS)
    assert shown(ranked["score"], "rate") == "72.83%" and ranked["rank"] == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [("2026-13", "search.bad_month"), ("2026-1", "search.bad_month"),
     ("2026-11\n", "search.bad_month"), ("１９７０-01", "search.bad_month"),
     ("1969-12", "search.month_too_early"), ("0000-01", "search.month_too_early"),
     ("2027-01", "search.month_in_future")],
)  # fmt: skip
def test_months_that_are_refused(text: str, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        months.parse(text, date(2026, 12, 3))
    assert refused.value.code == code and refused.value.field == "month"


def test_months_that_are_taken() -> None:
    assert months.parse("2026-12", date(2026, 12, 3)) == date(2026, 12, 1)
    assert months.parse("1970-01", date(2026, 12, 3)) == date(1970, 1, 1)
    assert months.following(date(2026, 12, 1)) == date(2027, 1, 1)


def test_the_overview_gives_each_number_its_own_kind() -> None:
    figures = {
        "month": "2026-11-01", "generated_at": "2026-12-03T02:00:00+00:00",
        "totals": {"created_this_month": 9, "resolved_this_month": 8, "within_sla_this_month": 7,
                   "open": 1, "overdue": 1, "breached_open": 0},
        "city": {"m_rated": 5, "response_rate": 0.8, "resolution_rate": 0.8,
                 "satisfaction_rate": 0.76, "score": 0.782},
        "proactive": {"created_this_month": 1, "open": 0, "resolved_this_month": 1,
                      "within_sla_this_month": 1},
        "departments": [{"excluded_tickets": 1}],
    }  # fmt: skip
    section = overview(figures, "en")
    values = {r[0]: (r[1], section.kind(n, 1)) for n, r in enumerate(section.rows)}
    assert values["Month"] == ("2026-11", "text")
    assert values["Generated (Beijing time)"] == ("2026-12-03 10:00:00", "text")
    assert values["On-time rate"] == (0.875, "rate")
    assert values["Tickets received"] == (9, "count")
    assert values["Tickets excluded by appeal"] == (1, "count")


def test_text_in_the_workbook_is_never_a_formula() -> None:
    typed = ['=HYPERLINK("http://example.com","点此")', "+1", "@x"]
    section = Section("themes", "每月一题进展", (Column("专题", "text"),), [[t] for t in typed])
    made = workbook(Report("2026-11", datetime(2026, 12, 3, tzinfo=UTC), "zh", [section]))
    cells = [row[0] for row in load_workbook(io.BytesIO(made))["每月一题进展"].iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in cells] == [(t, "s") for t in typed]

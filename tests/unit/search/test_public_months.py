"""The month in public, its pure rules: when a month closes, what is selected from the
dashboard's figures, and how small counts are suppressed so that no subtraction from a
total in the same table recovers them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import combinations
from typing import Any

import pytest

from services.common.errors import NotFound
from services.search.adapters.index import TIME_ZONE
from services.search.config import SearchSettings
from services.search.domain.public import Rules, hidden, select, suppress
from services.search.domain.public_dictionary import CSV_COLUMNS, FIELDS, csv_rows, dictionary
from services.search.handlers.public import PublicMonths


def test_the_documented_defaults() -> None:
    options = SearchSettings()
    assert (options.search_public_min_count, options.search_public_close_days) == (10, 15)
    assert Rules() == Rules(10, 15)


def test_a_month_closes_its_close_days_after_its_end_in_beijing() -> None:
    rules = Rules(close_days=15)
    closes = rules.closes_at(date(2026, 11, 1), TIME_ZONE)
    assert closes == datetime(2026, 12, 16, tzinfo=TIME_ZONE)
    assert closes.astimezone(UTC) == datetime(2026, 12, 15, 16, tzinfo=UTC)
    assert rules.latest_closed(datetime(2026, 12, 15, 15, 59, tzinfo=UTC), TIME_ZONE) == date(
        2026, 10, 1
    )
    assert rules.latest_closed(datetime(2026, 12, 15, 16, tzinfo=UTC), TIME_ZONE) == date(
        2026, 11, 1
    )
    assert Rules(close_days=0).latest_closed(datetime(2027, 1, 1, tzinfo=UTC), TIME_ZONE) == date(
        2026, 12, 1
    )


@pytest.mark.parametrize(
    ("counts", "gone"),
    [
        ([30, 12, 0], set()),  # zero identifies nobody
        ([30, 12, 3], {2, 1}),  # one small cell: the smallest shown one goes with it
        ([30, 12, 3, 4], {2, 3, 1}),  # two small cells adding up to 7 < 10: one more
        ([30, 12, 6, 5], {2, 3}),  # two adding up to 11: the total gives away only their sum
        ([3], {0}),
        ([0, 0], set()),
    ],
)
def test_small_cells_and_their_complements_are_hidden(counts: list[int], gone: set[int]) -> None:
    assert hidden(counts, 10) == gone


@pytest.mark.parametrize("counts", [[1, 2, 3, 40], [9, 50, 50], [11, 1], [5, 5, 100, 12]])
def test_no_subtraction_from_the_total_recovers_a_small_count(counts: list[int]) -> None:
    gone = hidden(counts, 10)
    total = sum(counts)
    shown = sum(n for i, n in enumerate(counts) if i not in gone)
    # What anyone learns from the total: the hidden cells' sum. It is no small count, and no
    # hidden cell is alone.
    assert total - shown >= 10 and len(gone) >= 2
    for size in range(1, len(gone)):
        for subset in combinations(sorted(gone), size):
            assert sum(counts[i] for i in subset) != total - shown


def board() -> dict[str, Any]:
    """A dashboard answer as monthly.figures gives it, with the parts that must stay out."""

    def rated(key: str, n: int, rank: int | None) -> dict[str, Any]:
        rates = dict.fromkeys(("response_rate", "resolution_rate", "satisfaction_rate"), 0.9)
        return {"key": key, "label": f"单位{key}", "m_rated": n, "m_responded": n, **rates,
                "score": 0.9, "rank": rank, "excluded_tickets": 0}  # fmt: skip

    return {
        "totals": {"created_this_month": 45, "open": 3},
        "volume": {
            "channels": [
                {"key": "phone", "label": None, "count": 42},
                {"key": "web", "label": None, "count": 3},
            ],
            "categories": [{"key": "01", "label": "城乡建设", "count": 45}],
            "districts": [{"key": "110105", "label": "朝阳区", "count": 45}],
            "problems": [{"key": "010102", "label": "垃圾清运", "count": 45}],
        },
        "city": {
            "m_rated": 35,
            "m_responded": 30,
            "response_rate": 0.8,
            "resolution_rate": 0.8,
            "satisfaction_rate": 0.8,
            "score": 0.8,
        },
        "departments": [rated("D-A", 20, 1), rated("D-B", 12, 2), rated("D-C", 3, 3)],
        "streets": [rated("110105001", 35, 1)],
        "hotspots": [{"tickets": [{"description": "楼道堆放垃圾", "number": "9000001"}]}],
        "overdue": [{"key": "D-C", "count": 1}],
        "themes": [
            {
                "id": "th-1",
                "title": "垃圾清运治理",
                "starts_on": "2026-11-02",
                "status": "active",
                "category_name": "垃圾清运",
                "created_by": "leader",
                "progress": {"tasks": 3, "done": 1, "overdue": 0},
                "lead_department": "D-A",
            }
        ],
    }


def test_only_counts_and_rates_of_public_bodies_are_selected() -> None:
    chosen = select(board())
    assert set(chosen) == {
        "received", "channels", "categories", "districts", "city", "departments", "streets",
        "themes",
    }  # fmt: skip
    text = repr(chosen)
    for kept_out in ("楼道堆放垃圾", "9000001", "leader", "th-1", "m_responded", "excluded"):
        assert kept_out not in text
    assert chosen["themes"] == [
        {"title": "垃圾清运治理", "starts_on": "2026-11-02", "status": "active",
         "category_name": "垃圾清运", "tasks": 3, "done": 1, "overdue": 0}
    ]  # fmt: skip
    assert chosen["departments"][0] == {
        "rank": 1, "key": "D-A", "label": "单位D-A", "rated": 20, "response_rate": 0.9,
        "resolution_rate": 0.9, "satisfaction_rate": 0.9, "score": 0.9,
    }  # fmt: skip


def test_a_small_unit_is_suppressed_with_its_complement_and_listed_last() -> None:
    shown = suppress(select(board()), 10)
    departments = shown["departments"]
    assert [(d["key"], d["rank"], d["rated"], d["suppressed"]) for d in departments] == [
        ("D-A", 1, 20, False),
        ("D-B", None, None, True),
        ("D-C", None, None, True),
    ]
    assert departments[2]["score"] is None and departments[2]["response_rate"] is None
    channels = {c["key"]: (c["count"], c["suppressed"]) for c in shown["channels"]}
    assert channels == {"phone": (None, True), "web": (None, True)}
    assert shown["received"] == {"count": 45, "suppressed": False}
    assert shown["city"]["rated"] == 35 and not shown["city"]["suppressed"]


def test_shown_units_are_ranked_among_themselves_so_no_gap_places_a_suppressed_one() -> None:
    figures = board()
    rows = figures["departments"][:1]
    # The dashboard's ranks: E ties with A at 1, C (3 ratings) and B (10, its complement)
    # at 3 and 4; then F and G tied at 5, and H unrated.
    for key, n, rank in (("E", 15, 1), ("C", 3, 3), ("B", 10, 4), ("F", 30, 5), ("G", 11, 5)):
        rows.append(board()["departments"][0] | {"key": f"D-{key}", "m_rated": n, "rank": rank})
    rows.append(rows[-1] | {"key": "D-H", "m_rated": 0, "score": None, "rank": None})
    shown = suppress(select(figures | {"departments": rows}), 10)["departments"]
    assert [(d["key"], d["rank"]) for d in shown] == [
        ("D-A", 1), ("D-E", 1), ("D-F", 3), ("D-G", 3), ("D-H", None), ("D-B", None),
        ("D-C", None),
    ]  # fmt: skip


def test_the_dictionary_names_every_published_field_and_its_rule() -> None:
    words = dictionary(Rules(min_count=7))
    named = {f["name"] for f in words["fields"]}
    assert set(CSV_COLUMNS) <= named
    assert words["min_count"] == 7
    rated = next(f for f in words["fields"] if f["name"] == "response_rate")
    assert "7" in rated["suppression"]["zh"] and "contact deadline" in rated["en"]
    assert set(FIELDS) == named


def test_the_csv_rows_name_their_section_and_carry_the_root() -> None:
    shown = suppress(select(board()), 10)
    rows = list(csv_rows("2026-11", shown, "ab" * 32))
    assert rows[0]["section"] == "received" and rows[0]["root"] == "ab" * 32
    sections = [r["section"] for r in rows]
    assert sections.count("departments") == 3 and sections[-1] == "themes"
    assert rows[1]["suppressed"] == "true" and rows[-1]["tasks"] == 3


def test_no_text_in_the_csv_reads_as_a_formula_in_a_spreadsheet() -> None:
    figures = board()
    figures["themes"][0]["title"] = '=HYPERLINK("http://evil.example","点此")'
    figures["departments"][0]["label"] = "@SUM(1+1)"
    rows = list(csv_rows("2026-11", suppress(select(figures), 10), None))
    assert rows[-1]["title"] == "'" + figures["themes"][0]["title"]
    department = next(r for r in rows if r["section"] == "departments")
    assert (department["label"], department["score"]) == ("'@SUM(1+1)", 0.9)


class Store:
    """Published months in memory, as adapters.public.PublishedMonths keeps them."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def get(self, month: str) -> dict[str, Any] | None:
        return self.rows.get(month)

    def add(self, month: str, figures: dict[str, Any], at: datetime) -> None:
        self.rows.setdefault(month, {"month": month, "figures": figures, "published_at": at,
                                     "root": None})  # fmt: skip

    def listed(self) -> list[dict[str, Any]]:
        return sorted(self.rows.values(), key=lambda row: row["month"], reverse=True)

    def seal(self, month: str, root: str) -> None:
        if self.rows[month]["root"] is None:
            self.rows[month]["root"] = root


def test_the_root_is_filled_in_once_every_day_is_sealed() -> None:
    store = Store()
    store.add("2026-10", select(board()), datetime(2026, 11, 20, tzinfo=UTC))
    sealed: dict[str, str] = {}
    months = PublicMonths(None, None, None, store, Rules(), sealed.get)  # type: ignore[arg-type]
    now = datetime(2026, 12, 3, tzinfo=UTC)
    assert months.month("2026-10", now)["root"] is None
    sealed["2026-10"] = "ab" * 32
    assert months.month("2026-10", now)["root"] == "ab" * 32
    assert store.rows["2026-10"]["root"] == "ab" * 32
    sealed["2026-10"] = "cd" * 32  # a root once published is kept
    assert months.month("2026-10", now)["root"] == "ab" * 32
    assert months.listing(now)["months"][0]["root"] == "ab" * 32


def test_a_month_before_its_close_is_not_published() -> None:
    months = PublicMonths(None, None, None, Store(), Rules(), {}.get)  # type: ignore[arg-type]
    with pytest.raises(NotFound) as refused:
        months.month("2026-11", datetime(2026, 12, 15, 15, tzinfo=UTC))
    assert refused.value.params["on"] == "2026-12-16"

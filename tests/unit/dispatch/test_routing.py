"""Routing beyond the basics: category × area rules with co-handling, the review queue,
reopened tickets, rule validation, and a directory that matches intake's address library."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.dispatch.adapters.seed import load_departments, load_router
from services.dispatch.domain.dispatching import Ticket, reopen_route
from services.dispatch.domain.routing import Department, Router, Rule, rule_problems
from services.dispatch.tools import build_directory


@pytest.fixture(scope="module")
def router() -> Router:
    return load_router()


def test_an_area_rule_applies_inside_its_area_only(router: Router) -> None:
    inside = router.route("030102", "110105002001")
    assert (inside.department.code, inside.rule) == ("B-TRAFFIC", "rule:R-ROAD-CY")
    assert [d.code for d in inside.co] == ["G-CY"]
    outside = router.route("030102", "110108001001")
    assert (outside.department.code, outside.rule, outside.co) == ("D-ZGC", "territory:street", ())


@pytest.mark.parametrize(("area", "reason"), [(None, "no_location"), ("990101001", "unknown_area")])
def test_no_place_an_office_covers_goes_to_review(
    router: Router, area: str | None, reason: str
) -> None:
    route = router.route("010101", area)
    assert not route.confident and route.reason == reason


def test_every_street_of_a_big_district_has_its_own_office(router: Router) -> None:
    route = router.route("010101", "110105043")
    assert route.department.name == "朝阳区东湖街道办事处" and route.rule == "territory:street"


def test_a_place_known_only_by_its_district_is_labelled_district(router: Router) -> None:
    route = router.route("010101", "110105")
    assert route.department.area == "110105" and route.rule == "territory:district"


def _ticket(category: str) -> Ticket:
    return Ticket(
        "t", "1", category, "", "110105001001", "", "general", "", None,
        datetime(2026, 11, 28, tzinfo=UTC), "dispatched",
    )  # fmt: skip


def test_a_reopened_ticket_goes_back_unless_a_rule_says_otherwise(router: Router) -> None:
    previous = router.departments["D-CWJ"]
    assert reopen_route(router, _ticket("010101"), previous).department.code == "D-CWJ"
    assert reopen_route(router, _ticket("010101"), previous).rule == "reopen:previous"
    assert reopen_route(router, _ticket("020101"), previous).department.code == "U-WATER"
    assert reopen_route(router, _ticket("010101"), None).department.code == "D-JXS"


@pytest.mark.parametrize(
    ("rule", "fields"),
    [
        (Rule("R", "NOPE", category="01"), ["department"]),
        (Rule("R", "U-WATER", category="99"), ["category"]),
        (Rule("R", "U-WATER", area="110199"), ["area"]),
        (Rule("R", "U-WATER", category="01", co=("U-WATER",)), ["co"]),
        (Rule("R", "U-WATER", category="01", co=("X",)), ["co"]),
        (Rule("R", "U-WATER"), ["category"]),
    ],
)
def test_a_rule_is_checked_before_it_is_saved(rule: Rule, fields: list[str]) -> None:
    codes = {d.code for d in load_departments()}
    areas = {d.area for d in load_departments() if d.area}
    found = rule_problems(rule, codes, {"01", "0101", "010101"}, areas)
    assert [f for f, _, _ in found] == fields


def test_the_directory_is_generated_from_the_current_address_library() -> None:
    areas = build_directory.read_entries("addresses*.toml", "areas")
    expected = list(build_directory.departments(areas))
    shipped = {d.code: d for d in load_departments() if d.kind in ("street", "district")}
    assert {row["code"] for row in expected} == set(shipped), (
        "intake's address library changed: run python -m services.dispatch.tools.build_directory"
    )
    streets = [a["code"] for a in areas if len(a["code"]) == 9]
    assert len({d.area for d in shipped.values() if d.kind == "street"}) == len(streets)


def test_the_codes_accounts_use_stay_valid() -> None:
    by_code = {d.code: d for d in load_departments()}
    assert by_code["D-JXS"].area == "110105001" and by_code["D-ZGC"].area == "110108001"
    assert by_code["G-CY"].area == "110105"
    assert {"U-WATER", "U-POWER", "B-TRAFFIC", "B-HRSS", "C-CENTER"} <= set(by_code)


# The seeded directory's rules and territories, one route each.


def test_a_category_rule_wins_over_territory(router: Router) -> None:
    route = router.route("020101", "110105001001")
    assert (route.department.code, route.rule) == ("U-WATER", "rule:R-WATER")


def test_territory_picks_the_street_office_of_the_community(router: Router) -> None:
    route = router.route("010101", "110105001002")
    assert (route.department.code, route.rule) == ("D-JXS", "territory:street")


def test_a_street_without_office_falls_back_to_the_district(router: Router) -> None:
    route = router.route("010101", "110105999001")
    assert (route.department.code, route.rule) == ("G-CY", "territory:district")


def test_no_location_goes_to_the_centre(router: Router) -> None:
    assert router.route("010101", None).department.code == "C-CENTER"


def test_rules_must_name_known_departments() -> None:
    with pytest.raises(ValueError, match="unknown departments"):
        Router([Department("A", "a", "street")], [Rule("R", "01", "B")], fallback="A")

from __future__ import annotations

import pytest

from services.dispatch.adapters.seed import load_router
from services.dispatch.domain.routing import Department, Router, Rule


@pytest.fixture
def router() -> Router:
    return load_router()


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

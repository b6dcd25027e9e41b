"""Shadowed and contradicting routing rules, and why a call goes where it goes: pure."""

from __future__ import annotations

from services.dispatch.adapters.seed import load_departments
from services.dispatch.domain.routing import Router, Rule
from services.dispatch.domain.rule_problems import Problem, covers, explain, find_problems


def test_a_rule_after_a_broader_or_equal_one_is_shadowed() -> None:
    rules = [
        Rule("R-ROADS", "B-TRAFFIC", category="0301"),
        Rule("R-HOLES", "G-CY", category="030102", area="110105"),
        Rule("R-SAME", "B-TRAFFIC", category="0301"),
    ]
    assert find_problems(rules) == [
        Problem("shadowed", "R-HOLES", "R-ROADS", "030102", "110105"),
        Problem("shadowed", "R-SAME", "R-ROADS", "0301", None),
    ]


def test_the_narrower_rule_first_is_no_problem() -> None:
    rules = [
        Rule("R-HOLES", "G-CY", category="030102", area="110105"),
        Rule("R-ROADS", "B-TRAFFIC", category="0301"),
        Rule("R-CY", "G-CY", area="110105"),
    ]
    assert find_problems(rules) == []


def test_overlap_without_covering_is_no_problem() -> None:
    # Each takes calls the other does not: category-only versus area-only.
    rules = [Rule("R-CY", "G-CY", area="110105"), Rule("R-WATER", "U-WATER", category="0201")]
    assert find_problems(rules) == []
    # A narrower area does not cover a broader one, whatever the category.
    street = Rule("R-STREET", "D-JXS", category="02", area="110105001")
    district = Rule("R-DISTRICT", "G-CY", category="0201", area="110105")
    assert not covers(street, district) and not covers(district, street)


def test_same_category_and_area_with_other_departments_contradict() -> None:
    rules = [
        Rule("R-A", "B-TRAFFIC", category="030102", area="110105", co=("G-CY",)),
        Rule("R-B", "B-TRAFFIC", category="030102", area="110105", co=("D-JXS",)),
        Rule("R-C", "B-TRAFFIC", category="030102", area="110105", co=("G-CY",)),
    ]
    problems = find_problems(rules)
    assert Problem("contradicts", "R-B", "R-A", "030102", "110105") in problems
    assert Problem("contradicts", "R-C", "R-B", "030102", "110105") in problems
    # Same departments (co in any order) is a duplicate, shadowed but not contradicting.
    assert not any(
        p.kind == "contradicts" and {p.rule, p.other} == {"R-A", "R-C"} for p in problems
    )
    assert [p.rule for p in problems if p.kind == "shadowed"] == ["R-B", "R-C"]


def test_explain_names_the_rule_and_its_prefixes_or_the_territory_or_the_review_queue() -> None:
    rules = [
        Rule("R-ROAD-CY", "B-TRAFFIC", category="030102", area="110105", co=("G-CY",)),
        Rule("R-WATER", "U-WATER", category="0201"),
    ]
    router = Router(load_departments(), rules, fallback="C-CENTER")
    by_rule = explain(router, "03010201", "110105001001")
    assert (by_rule.kind, by_rule.rule_id) == ("rule", "R-ROAD-CY")
    assert (by_rule.category_prefix, by_rule.area_prefix) == ("030102", "110105")
    assert [d.code for d in by_rule.route.co] == ["G-CY"]
    street = explain(router, "0101", "110105001001")
    assert (street.kind, street.area_prefix, street.route.department.code) == (
        "territory",
        "110105001",
        "D-JXS",
    )
    nowhere = explain(router, "0101", None)
    assert (nowhere.kind, nowhere.route.reason, nowhere.rule_id) == ("review", "no_location", None)

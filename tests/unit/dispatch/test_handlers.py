"""Dispatch use cases (rules editing, routing a ticket) on an in-memory unit of work: no
database, so they run in milliseconds; tests/integration/test_dispatch_api.py proves the SQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common.auth import Principal, Role
from services.common.errors import Conflict, Invalid, NotFound
from services.dispatch.adapters.calendar_data import calendars
from services.dispatch.adapters.directory import Directory
from services.dispatch.adapters.seed import load_categories, load_departments, load_policies
from services.dispatch.domain.dispatching import Dispatch, Ticket
from services.dispatch.domain.routing import Rule
from services.dispatch.handlers import routing, rules
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.handlers.rules import RuleDraft
from tests.support.memory_dispatch import MemoryUnitOfWork, State

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
ADMIN = Principal("admin", "Admin", Role.admin)


@pytest.fixture
def state() -> State:
    departments = load_departments()
    return State(departments=departments, categories=load_categories())


@pytest.fixture
def deps(state: State) -> DispatchContext:
    uow = MemoryUnitOfWork(state)
    ids = iter(range(10**6))
    return DispatchContext(
        lambda: uow, Directory(), load_policies(), calendars(), now=lambda: T0,
        new_id=lambda: f"a{next(ids)}",
    )  # fmt: skip


def rule(rule_id: str, department: str = "B-TRAFFIC", category: str = "0301") -> Rule:
    return Rule(rule_id, department, category)


def positions(state: State) -> list[str]:
    return sorted(state.rules, key=lambda i: state.rules[i]["position"])


def test_rules_are_kept_in_order_and_a_new_one_goes_last_or_where_asked(
    deps: DispatchContext, state: State
) -> None:
    rules.create(deps, ADMIN, RuleDraft(rule("R1")))
    rules.create(deps, ADMIN, RuleDraft(rule("R2")))
    rules.create(deps, ADMIN, RuleDraft(rule("R3"), position=0))
    assert positions(state) == ["R3", "R1", "R2"]
    assert [state.rules[i]["position"] for i in positions(state)] == [0, 1, 2]


def test_a_replaced_rule_keeps_its_place_unless_moved_and_the_change_is_logged(
    deps: DispatchContext, state: State
) -> None:
    for rule_id in ("R1", "R2", "R3"):
        rules.create(deps, ADMIN, RuleDraft(rule(rule_id)))
    rules.replace(deps, ADMIN, RuleDraft(rule("R2", "G-CY"), note="moved to the district"))
    assert positions(state) == ["R1", "R2", "R3"]
    rules.replace(deps, ADMIN, RuleDraft(rule("R2", "G-CY"), position=5))
    assert positions(state) == ["R1", "R3", "R2"]
    change = state.rule_changes[3]
    assert (change["action"], change["by"]) == ("change", "admin")
    assert (change["before"]["department"], change["after"]["department"]) == ("B-TRAFFIC", "G-CY")
    assert change["after"]["note"] == "moved to the district"


def test_removing_a_rule_closes_the_gap_and_logs_what_it_was(
    deps: DispatchContext, state: State
) -> None:
    for rule_id in ("R1", "R2", "R3"):
        rules.create(deps, ADMIN, RuleDraft(rule(rule_id)))
    rules.remove(deps, ADMIN, "R2")
    assert [state.rules[i]["position"] for i in positions(state)] == [0, 1]
    assert state.rule_changes[-1]["before"]["id"] == "R2"
    assert state.rule_changes[-1]["after"] is None


def test_every_change_is_an_audit_event_with_before_and_after(
    deps: DispatchContext, state: State
) -> None:
    for rule_id in ("R1", "R2"):
        rules.create(deps, ADMIN, RuleDraft(rule(rule_id)))
    rules.replace(deps, ADMIN, RuleDraft(rule("R2", "G-CY")))
    rules.move(deps, ADMIN, "R2", 0)
    rules.remove(deps, ADMIN, "R1")
    events = [e.payload for e in state.outbox]
    assert [(e["action"], e["key"]) for e in events] == [
        ("create", "R1"), ("create", "R2"), ("change", "R2"), ("move", "R2"), ("delete", "R1"),
    ]  # fmt: skip
    change = events[2]
    assert (change["before"]["department"], change["after"]["department"]) == ("B-TRAFFIC", "G-CY")
    assert change["kind"] == "routing_rule" and change["by"] == "admin"
    assert change["summary"] == "规则 R2：0301 × * → G-CY"
    assert (events[3]["before"]["position"], events[3]["after"]["position"]) == (1, 0)
    assert events[4]["after"] is None and events[4]["version"] == state.rules_version


def test_every_change_moves_the_version_so_routers_are_rebuilt(
    deps: DispatchContext, state: State
) -> None:
    rules.create(deps, ADMIN, RuleDraft(rule("R-ROADS")))
    with deps.uow() as u:
        assert deps.directory.router(u.rules).route("030102", None).rule == "rule:R-ROADS"
    rules.replace(deps, ADMIN, RuleDraft(rule("R-ROADS", "G-CY")))
    with deps.uow() as u:
        assert deps.directory.router(u.rules).route("030102", None).department.code == "G-CY"


def test_a_rule_naming_unknown_things_is_refused_field_by_field_and_nothing_is_kept(
    deps: DispatchContext, state: State
) -> None:
    bad = Rule("R1", "NO-SUCH", "99", co=("NO-OTHER",))
    with pytest.raises(Invalid) as refused:
        rules.create(deps, ADMIN, RuleDraft(bad))
    assert {e.field for e in refused.value.errors} == {"department", "co", "category"}
    assert state.rules == {} and state.rule_changes == [] and state.rules_version == 0


def test_duplicate_and_missing_rules_are_refused(deps: DispatchContext, state: State) -> None:
    rules.create(deps, ADMIN, RuleDraft(rule("R1")))
    with pytest.raises(Conflict):
        rules.create(deps, ADMIN, RuleDraft(rule("R1")))
    with pytest.raises(NotFound):
        rules.replace(deps, ADMIN, RuleDraft(rule("R9")))
    with pytest.raises(NotFound):
        rules.remove(deps, ADMIN, "R9")
    assert len(state.rule_changes) == 1


def ticket() -> Ticket:
    return Ticket(
        "t1", "1", "030102", "道路破损", "110105001001", "永安里", "urgent", "d", False, T0,
        "review",
    )  # fmt: skip


def test_routing_a_ticket_stores_its_assignments_events_and_history(
    deps: DispatchContext, state: State
) -> None:
    rules.create(deps, ADMIN, RuleDraft(Rule("R-ROAD", "B-TRAFFIC", "0301", co=("G-CY",))))
    state.tickets["t1"] = ticket()
    with deps.uow() as u:
        route = deps.directory.router(u.rules).route("030102", "110105001001")
        order = Dispatch(route, deps.policies.policies["urgent"], 1, 1, "routing", T0)
        loaded = u.tickets.load("t1")
        assert loaded is not None
        made = routing.dispatch(u, deps, loaded, order)
        u.commit()
    assert [(a.department_code, a.role) for a in made] == [("B-TRAFFIC", "lead"), ("G-CY", "co")]
    assert set(state.assignments) == {a.id for a in made}
    assert all(a.clocks for a in state.assignments.values())
    assert [e.ticket_id for e in state.outbox] == ["config:routing_rule", "t1", "t1"]
    assert len(state.activity) == 2
    assert state.tickets["t1"].state == "dispatched"
    with deps.uow() as u:
        assert u.assignments.next_attempt("t1", 1) == 2


def test_nothing_routed_stays_without_a_commit(deps: DispatchContext, state: State) -> None:
    rules.create(deps, ADMIN, RuleDraft(rule("R-ROAD")))
    state.tickets["t1"], state.outbox = ticket(), []
    with deps.uow() as u:
        route = deps.directory.router(u.rules).route("030102", None)
        order = Dispatch(route, deps.policies.policies["urgent"], 1, 1, "routing", T0)
        routing.dispatch(u, deps, ticket(), order)
    assert state.assignments == {} and state.outbox == []
    assert state.tickets["t1"].state == "review"

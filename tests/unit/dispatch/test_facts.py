"""Facts dispatch decides once and carries in its events: whether the first contact came in
time, the SLA state after each firing, and supervision after a breach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from proto.assignments import AssignmentResolved, CitizenContacted
from services.dispatch.adapters.seed import load_policies, load_router
from services.dispatch.domain.assignment import Assignment, supervise_after_breaches
from services.dispatch.domain.calendar import Calendar, Continuous
from services.dispatch.domain.dispatching import Dispatch, Ticket, assignments_for
from services.dispatch.domain.sla import escalate

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def continuous(_: str) -> Calendar:
    return Continuous()


def fresh() -> Assignment:
    ticket = Ticket(
        "t1", "1", "010101", "噪音", "110105001001", "永安里", "general", "d", False, T0, "review"
    )
    route = load_router().route("010101", "110105001001")
    order = Dispatch(route, load_policies().policies["general"], 1, 1, "routing", T0)
    made = assignments_for(ticket, order, continuous, lambda: "a1")[0]
    made.acknowledge("staff", T0 + MINUTE)
    made.events.clear()
    return made


def contacted(assignment: Assignment) -> CitizenContacted:
    event = assignment.events[-1]
    assert isinstance(event, CitizenContacted)
    return event


def test_a_contact_by_its_deadline_is_on_time_and_later_contacts_repeat_the_verdict() -> None:
    a = fresh()
    due = a.clocks["contact"].due_at
    a.contact("called", "staff", due)
    assert contacted(a).on_time is True
    a.contact("called again", "staff", due + MINUTE)
    assert contacted(a).on_time is True


def test_a_contact_after_its_deadline_is_late_even_before_the_breach_fired() -> None:
    a = fresh()
    a.contact("called", "staff", a.clocks["contact"].due_at + MINUTE)
    assert contacted(a).on_time is False


def test_a_contact_after_the_breach_fired_is_late() -> None:
    a = fresh()
    clock = a.clocks["contact"]
    assert clock.fire_due(clock.due_at) == ["breach"]
    a.contact("called", "staff", clock.due_at)
    assert contacted(a).on_time is False


def test_a_contact_while_the_clocks_are_paused_with_time_left_is_on_time() -> None:
    a = fresh()
    a.pause("waiting", "staff", T0 + 2 * MINUTE, continuous)
    a.contact("called", "staff", a.clocks["contact"].due_at + 60 * MINUTE)
    assert contacted(a).on_time is True


def test_the_resolution_carries_the_sla_state() -> None:
    a = fresh()
    clock = a.clocks["contact"]
    clock.fire_due(clock.warn_at)
    a.contact("called", "staff", clock.warn_at)
    a.resolve("done", "staff", clock.warn_at + MINUTE)
    resolved = a.events[-1]
    assert isinstance(resolved, AssignmentResolved) and resolved.sla_state == "warned"


def test_an_sla_state_only_escalates() -> None:
    assert escalate("on_time", "warning") == "warned"
    assert escalate("warned", "breach") == "breached"
    assert escalate("breached", "warning") == "breached"


def test_breaches_put_an_assignment_on_the_list_once_unless_it_already_is() -> None:
    breaches = [
        ("a1", "D-JXS", "acknowledge"),
        ("a1", "D-JXS", "contact"),
        ("a2", "D-X", "resolve"),
    ]
    opened = supervise_after_breaches(breaches, {"a2"}, T0)  # type: ignore[arg-type]
    assert [(s.assignment_id, s.reason, s.by, s.action) for s in opened] == [
        ("a1", "sla_breach:acknowledge", "scheduler", "opened")
    ]

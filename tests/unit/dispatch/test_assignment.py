"""The assignment's rules: what each state allows, and the events that say who and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from proto.assignments import (
    AssignmentAcknowledged,
    AssignmentResolved,
    AssignmentReturned,
    ExtensionDecided,
    ExtensionRequested,
)
from services.common.errors import Conflict, DomainError, Invalid
from services.dispatch.adapters.seed import load_policies, load_router
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.calendar import Calendar, Continuous
from services.dispatch.domain.dispatching import Dispatch, Ticket, assignments_for
from services.dispatch.domain.evidence import is_photo_id
from services.dispatch.domain.extension import (
    Decision,
    ExtensionAsk,
    decide_extension,
    request_extension,
)

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
H = timedelta(hours=1)
POLICY = load_policies().policies["urgent"]


def continuous(_: str) -> Calendar:
    return Continuous()


def ticket(**changes: object) -> Ticket:
    fields: dict[str, object] = {
        "id": "t1", "number": "1", "category_code": "030102", "category_name": "道路破损",
        "area_code": "110105001001", "area_name": "永安里", "urgency": "urgent",
        "description": "d", "has_phone": False, "created_at": T0, "state": "review",
    }  # fmt: skip
    fields.update(changes)
    return Ticket(**fields)  # type: ignore[arg-type]


def fresh() -> Assignment:
    route = load_router().route("010101", "110105001001")
    made = assignments_for(
        ticket(), Dispatch(route, POLICY, 1, 1, "routing", T0), continuous, _ids()
    )
    made[0].events.clear()
    return made[0]


def _ids() -> object:
    counter = iter(range(1000))
    return lambda: f"a{next(counter)}"


def test_a_rule_with_co_handling_makes_a_lead_and_co_assignments_with_clocks() -> None:
    route = load_router().route("030102", "110105001001")
    order = Dispatch(route, POLICY, 1, 1, "routing", T0)
    made = assignments_for(ticket(), order, continuous, _ids())  # type: ignore[arg-type]
    assert [(a.department_code, a.role) for a in made] == [("B-TRAFFIC", "lead"), ("G-CY", "co")]
    event = made[0].events[0]
    assert event.rule == "rule:R-ROAD-CY" and event.deadlines["acknowledge"] == T0 + H  # type: ignore[attr-defined]


def test_acknowledging_twice_is_refused() -> None:
    a = fresh()
    a.acknowledge("liu", T0 + 0.1 * H)
    assert isinstance(a.events[0], AssignmentAcknowledged) and a.events[0].by == "liu"
    with pytest.raises(DomainError) as refused:
        a.acknowledge("liu", T0 + 0.2 * H)
    assert isinstance(refused.value, Conflict)
    assert refused.value.code == "dispatch.already_acknowledged"
    assert a.clocks["acknowledge"].state == "stopped"


def test_resolving_needs_acknowledgement_then_contact() -> None:
    a = fresh()
    with pytest.raises(DomainError, match="not_acknowledged"):
        a.resolve("done", "liu", T0)
    a.acknowledge("liu", T0)
    with pytest.raises(DomainError, match="contact_first"):
        a.resolve("done", "liu", T0)
    a.contact("called", "liu", T0 + 0.5 * H)
    a.resolve("fixed", "liu", T0 + 3 * H)
    resolved = a.events[-1]
    assert isinstance(resolved, AssignmentResolved) and resolved.within_sla
    assert all(c.state == "stopped" for c in a.clocks.values())


def test_a_breached_clock_makes_the_resolution_late() -> None:
    a = fresh()
    a.clocks["acknowledge"].fire_due(T0 + 2 * H)
    a.acknowledge("liu", T0 + 2 * H)
    a.contact("called", "liu", T0 + 2 * H)
    a.resolve("fixed", "liu", T0 + 3 * H)
    assert a.sla_state == "breached"
    assert not a.events[-1].within_sla  # type: ignore[attr-defined]


def test_a_return_needs_a_listed_reason_and_an_open_assignment() -> None:
    a = fresh()
    with pytest.raises(DomainError) as refused:
        a.give_back("because", "x", "liu", T0)
    assert isinstance(refused.value, Invalid) and refused.value.field == "reason_code"
    a.give_back("not_our_duty", "属于物业", "liu", T0)
    assert isinstance(a.events[-1], AssignmentReturned) and a.status == "returned"
    with pytest.raises(DomainError, match="not_open"):
        a.give_back("other", "again", "liu", T0)


def test_pausing_twice_or_resuming_a_running_clock_is_refused() -> None:
    a = fresh()
    a.acknowledge("liu", T0)
    a.pause("市民出差", "liu", T0 + 0.5 * H, continuous)
    with pytest.raises(DomainError, match="already_waiting"):
        a.pause("again", "liu", T0 + 0.6 * H, continuous)
    a.resume("liu", T0 + 5.5 * H, continuous)
    assert a.clocks["resolve"].due_at == T0 + 29 * H
    with pytest.raises(DomainError, match="not_waiting"):
        a.resume("liu", T0 + 6 * H, continuous)


def _ask(a: Assignment, due: datetime, now: datetime = T0, pending: bool = False) -> object:
    ask = ExtensionAsk("x1", due, "需要协调施工单位", "liu", now)
    return request_extension(a, ask, POLICY, Continuous(), pending)


def test_an_extension_must_be_later_within_policy_and_alone() -> None:
    a = fresh()
    with pytest.raises(DomainError, match="not_acknowledged"):
        _ask(a, T0 + 30 * H)
    a.acknowledge("liu", T0)
    with pytest.raises(DomainError, match="extension_not_later"):
        _ask(a, T0 + 20 * H)
    with pytest.raises(DomainError, match="extension_beyond_policy"):
        _ask(a, T0 + 49 * H)
    with pytest.raises(DomainError, match="extension_pending"):
        _ask(a, T0 + 30 * H, pending=True)
    extension = _ask(a, T0 + 30 * H)
    assert isinstance(a.events[-1], ExtensionRequested)
    decide_extension(extension, a, Decision(True, "同意", "zhang", T0 + H), POLICY, Continuous())  # type: ignore[arg-type]
    assert a.clocks["resolve"].due_at == T0 + 30 * H
    assert isinstance(a.events[-1], ExtensionDecided) and a.events[-1].granted
    with pytest.raises(DomainError, match="extension_decided"):
        decide_extension(extension, a, Decision(False, "", "zhang", T0 + H), POLICY, Continuous())  # type: ignore[arg-type]


def test_no_extension_once_the_deadline_passed() -> None:
    a = fresh()
    a.acknowledge("liu", T0)
    a.clocks["resolve"].fire_due(T0 + 25 * H)
    with pytest.raises(DomainError, match="extension_after_breach"):
        _ask(a, T0 + 40 * H, now=T0 + 25 * H)


def test_supervision_opens_once_and_closes_once() -> None:
    a = fresh()
    assert a.supervise("repeat_calls:3", "intake", T0)
    assert not a.supervise("again", "intake", T0)
    a.urge("请尽快办理", "zhang", T0)
    a.end_supervision("已办结", "zhang", T0)
    with pytest.raises(DomainError, match="not_supervised"):
        a.end_supervision("", "zhang", T0)
    assert [e.action for e in a.events] == ["opened", "noted", "closed"]  # type: ignore[attr-defined]


def test_field_photos_ride_in_the_contact_and_the_resolution() -> None:
    a = fresh()
    a.acknowledge("staff", T0 + H)
    a.contact("到场查看", "staff", T0 + 2 * H, ("ph_before00000000",))
    a.contact("电话回访", "staff", T0 + 3 * H)
    a.resolve("已清理", "staff", T0 + 4 * H, ["ph_after000000000", "ph_after000000001"])
    photos = [(e.TYPE, getattr(e, "photos", None)) for e in a.events]
    assert photos == [
        ("AssignmentAcknowledged", None),
        ("CitizenContacted", ["ph_before00000000"]),
        ("CitizenContacted", []),
        ("AssignmentResolved", ["ph_after000000000", "ph_after000000001"]),
    ]


@pytest.mark.parametrize(
    ("value", "ok"),
    [("ph_" + "a1B2-_" * 3, True), ("ph_short", False), ("PH_aaaaaaaaaaaa", False),
     ("ph_aaaaaaaa/../x", False), ("ph_" + "a" * 65, False), ("ph_aaaaaaaa\n", False)],
)  # fmt: skip
def test_photo_ids_have_intakes_form(value: str, ok: bool) -> None:
    assert is_photo_id(value) is ok

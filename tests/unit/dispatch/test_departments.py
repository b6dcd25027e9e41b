"""What a merge does to a department's work and rules, and which territory codes a
department may take. Pure."""

from __future__ import annotations

from proto.assignments import (
    AssignmentAcknowledged,
    AssignmentDispatched,
    AssignmentReturned,
    CitizenContacted,
)
from services.dispatch.domain.departments import repointed, territory_problems, transfer
from services.dispatch.domain.routing import Rule
from tests.unit.dispatch.test_assignment import T0, H, fresh


def test_a_merge_hands_the_work_on_with_its_clocks_and_says_how_far_it_had_gone() -> None:
    old = fresh()
    old.acknowledge("staff", T0 + H / 4)
    old.contact("已联系", "staff", T0 + H / 2)
    old.events.clear()
    deadlines = {n: c.due_at for n, c in old.clocks.items()}
    new = transfer(old, ("D-B", "乙街道"), "a9", 2, "admin", T0 + H)

    assert (old.status, old.returned_by, old.return_reason_code) == ("returned", "admin", "other")
    assert {c.state for c in old.clocks.values()} == {"stopped"}
    assert [type(e) for e in old.events] == [AssignmentReturned]
    assert (new.id, new.attempt, new.department_code, new.status) == (
        "a9",
        2,
        "D-B",
        "acknowledged",
    )
    assert new.rule == f"merge:{old.department_code}" and new.dispatched_at == old.dispatched_at
    assert {n: c.due_at for n, c in new.clocks.items()} == deadlines
    assert new.clocks["resolve"].state == "running"  # its own copy: the old one stopped
    assert [type(e) for e in new.events] == [
        AssignmentDispatched, AssignmentAcknowledged, CitizenContacted,
    ]  # fmt: skip
    assert all(e.department_code == "D-B" for e in new.events)  # type: ignore[attr-defined]


def test_rules_naming_the_merged_department_name_the_other_once() -> None:
    assert repointed(Rule("r", "X", "01"), "A", "B") is None
    assert repointed(Rule("r", "A", "01", co=("C",)), "A", "B") == Rule("r", "B", "01", co=("C",))
    assert repointed(Rule("r", "C", "01", co=("A", "B")), "A", "B") == Rule(
        "r", "C", "01", co=("B",)
    )
    # B helped A: B now leads, and helps no longer.
    assert repointed(Rule("r", "A", "01", co=("B",)), "A", "B") == Rule("r", "B", "01", co=())


def test_a_territory_takes_district_and_street_codes_no_one_else_holds() -> None:
    owners = {"110105001": "D-JXS"}
    assert territory_problems("D-NEW", ["110105", "110105990"], owners) == []
    assert territory_problems("D-JXS", ["110105001"], owners) == []
    assert territory_problems("D-NEW", ["110105001", "1101", "11010500100x"], owners) == [
        ("dispatch.territory_taken", "110105001"),
        ("dispatch.bad_territory_code", "1101"),
        ("dispatch.bad_territory_code", "11010500100x"),
    ]

"""Departments as admins shape them: territories, and what a merge does to the work and
the rules of the department merged away. Pure."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from proto.assignments import (
    AssignmentAcknowledged,
    AssignmentReturned,
    AssignmentSupervised,
    CitizenContacted,
    ClocksPaused,
)
from proto.envelope import Event
from services.dispatch.domain.assignment import Assignment
from services.dispatch.domain.routing import TERRITORY, Rule

# The address codes routing looks a territory up by (district, street, …): a code of any
# other length would be stored and never match.
TERRITORY_LENGTHS = frozenset(length for length, _ in TERRITORY)
MERGE_REASON = "other"


def territory_problems(
    code: str, territory: Iterable[str], owners: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(message code, offending area) for each code `code` cannot take: not an address
    code routing uses, or another department's already (`owners`: area → department)."""
    problems = []
    for area in territory:
        if not area.isdigit() or len(area) not in TERRITORY_LENGTHS:
            problems.append(("dispatch.bad_territory_code", area))
        elif owners.get(area, code) != code:
            problems.append(("dispatch.territory_taken", area))
    return problems


def repointed(rule: Rule, merged: str, into: str) -> Rule | None:
    """The rule with `merged` replaced by `into` (as lead or co-handler), or None when it
    does not name `merged`. A co-handler that becomes the lead drops out of `co`."""
    if merged != rule.department and merged not in rule.co:
        return None
    lead = into if rule.department == merged else rule.department
    co = tuple(dict.fromkeys(into if c == merged else c for c in rule.co))
    return replace(rule, department=lead, co=tuple(c for c in co if c != lead))


def transfer(
    old: Assignment,
    into: tuple[str, str],
    new_id: str,
    attempt: int,
    by: str,
    now: datetime,
) -> Assignment:
    """Hands an open assignment of a merged department to the department it merged into
    (code, name): the old one ends as returned (so every reader stops counting it for the
    merged department), the new one carries the same clocks, deadlines and progress, and its
    events tell readers how far the work already is."""
    reason = f"merged into {into[0]}"
    moved = replace(
        old,
        id=new_id,
        attempt=attempt,
        department_code=into[0],
        department_name=into[1],
        rule=f"merge:{old.department_code}",
        dispatched_by=by,
        clocks=copy.deepcopy(old.clocks),
        version=0,
        events=[],
    )
    moved.events = [moved.dispatched(), *_progress(moved, reason, now)]
    old.status, old.returned_at, old.returned_by = "returned", now, by
    old.return_reason_code, old.return_reason = MERGE_REASON, reason
    old.waiting = False
    for clock in old.clocks.values():
        clock.stop(now)
    old.record(AssignmentReturned, reason_code=MERGE_REASON, reason=reason, by=by, at=now)
    return moved


def _progress(a: Assignment, reason: str, now: datetime) -> list[Event]:
    """What had already happened to the work, said again for the new assignment."""
    events: list[Event] = []
    ids, code = a.id, a.department_code
    if a.acknowledged_at is not None:
        by = a.acknowledged_by or "system"
        events.append(AssignmentAcknowledged(assignment_id=ids, department_code=code, by=by,
                                             at=a.acknowledged_at))  # fmt: skip
    if a.contacted_at is not None:
        on_time = a.clocks["contact"].met_at(a.contacted_at) if "contact" in a.clocks else None
        events.append(CitizenContacted(assignment_id=ids, department_code=code, note=reason,
                                       by=a.contacted_by or "system", at=a.contacted_at,
                                       on_time=on_time))  # fmt: skip
    if a.waiting:
        events.append(ClocksPaused(assignment_id=ids, department_code=code, reason=reason,
                                   by=a.dispatched_by, at=now))  # fmt: skip
    if a.supervised:
        events.append(AssignmentSupervised(assignment_id=ids, department_code=code, reason=reason,
                                           by=a.dispatched_by, at=now))  # fmt: skip
    return events

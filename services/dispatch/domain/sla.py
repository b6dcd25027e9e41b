"""SLA policies and the three clocks of an assignment (签收, 联系, 办结). Pure.

Each clock has a due time and a warning time (催办) at a share of its span. A clock fires
its warning once and its breach once; a late warning that would arrive together with its
breach is folded into the breach. Pausing keeps the time left, resuming spends it again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Literal, get_args

from proto.assignments import SlaState
from proto.vocabulary import ClockState
from services.dispatch.domain.calendar import Basis, Calendar

ClockName = Literal["acknowledge", "contact", "resolve"]
CLOCKS: tuple[ClockName, ...] = get_args(ClockName)
Firing = Literal["warning", "breach"]
_RANK: dict[SlaState, int] = {"on_time": 0, "warned": 1, "breached": 2}


def escalate(state: SlaState, firing: Firing) -> SlaState:
    """An assignment's SLA state after one of its clocks fired: it never goes back (a
    granted extension moves a deadline, not what was already missed)."""
    fired: SlaState = "breached" if firing == "breach" else "warned"
    return max(state, fired, key=_RANK.__getitem__)


def state_of(clocks: Collection[Clock]) -> SlaState:
    """The SLA state of an assignment with these clocks."""
    if any(clock.breached_at for clock in clocks):
        return "breached"
    return "warned" if any(clock.warned_at for clock in clocks) else "on_time"


@dataclass(frozen=True)
class Policy:
    """How long each clock runs, in hours counted on its own basis: `natural` (every hour)
    or `working` (working hours of working days)."""

    name: str
    bases: Mapping[ClockName, Basis]
    hours: Mapping[ClockName, float]
    warn_share: float
    max_extension_hours: float

    def __post_init__(self) -> None:
        if set(self.hours) != set(CLOCKS) or min(self.hours.values()) <= 0:
            raise ValueError(f"policy {self.name}: positive hours for each of {CLOCKS}")
        if set(self.bases) != set(CLOCKS) or set(self.bases.values()) - {"natural", "working"}:
            raise ValueError(f"policy {self.name}: natural or working time for each of {CLOCKS}")
        if not 0 < self.warn_share < 1:
            raise ValueError(f"policy {self.name}: warn_share must be between 0 and 1")


# A category's policy that holds for every urgency but `urgent` (the urgent class keeps its
# own policy unless a category names one for urgent tickets expressly).
ANY_URGENCY = ""


@dataclass(frozen=True)
class PolicyBook:
    """A ticket takes the policy of the most specific category prefix that names it, for its
    urgency or (unless urgent) for any urgency; else urgent tickets take `urgent`, others
    their urgency's policy, then `general`. `by_category` holds (prefix, urgency or
    ANY_URGENCY, policy), in the order `most_specific_first` gives."""

    policies: Mapping[str, Policy]
    by_category: Sequence[tuple[str, str, str]] = ()

    def __post_init__(self) -> None:
        missing = {"urgent", "general"} - set(self.policies)
        unknown = {name for _, _, name in self.by_category} - set(self.policies)
        if missing or unknown:
            raise ValueError(f"policies missing {sorted(missing)}, unknown {sorted(unknown)}")

    def choose(self, urgency: str, category_code: str) -> Policy:
        for prefix, only, name in self.by_category:
            applies = only == urgency or (only == ANY_URGENCY and urgency != "urgent")
            if applies and category_code.startswith(prefix):
                return self.policies[name]
        if urgency == "urgent":
            return self.policies["urgent"]
        return self.policies.get(urgency, self.policies["general"])


@dataclass
class Clock:
    name: ClockName
    basis: Basis
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    state: ClockState = "running"
    left: float | None = None
    warn_left: float | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    stopped_at: datetime | None = None
    fired: list[Firing] = field(default_factory=list, compare=False)

    @property
    def working_days(self) -> bool:
        """Whether the clock skips days off (working hours or whole working days)."""
        return self.basis != "natural"

    @property
    def next_fire_at(self) -> datetime | None:
        """When the scheduler must look at this clock next; None: never again."""
        if self.state != "running":
            return None
        if self.warned_at is None:
            return self.warn_at
        return self.due_at if self.breached_at is None else None

    def fire_due(self, now: datetime) -> list[Firing]:
        """Marks and returns what is due at `now`; a second call fires nothing again."""
        if self.state != "running":
            return []
        fired: list[Firing] = []
        if self.breached_at is None and self.due_at <= now:
            self.breached_at = now
            self.warned_at = self.warned_at or now
            fired.append("breach")
        elif self.warned_at is None and self.warn_at <= now:
            self.warned_at = now
            fired.append("warning")
        self.fired.extend(fired)
        return fired

    def pause(self, now: datetime, calendar: Calendar) -> None:
        if self.state == "running":
            self.left = calendar.between(now, self.due_at)
            self.warn_left = calendar.between(now, self.warn_at)
            self.state = "paused"

    def resume(self, now: datetime, calendar: Calendar) -> None:
        if self.state == "paused":
            self.due_at = calendar.add(now, self.left or 0.0)
            self.warn_at = calendar.add(now, self.warn_left or 0.0)
            self.state, self.left, self.warn_left = "running", None, None

    def stop(self, now: datetime) -> None:
        if self.state != "stopped":
            self.state, self.stopped_at = "stopped", now

    def move_due(self, now: datetime, due: datetime, share: float, calendar: Calendar) -> None:
        """A granted extension: a new deadline, and a new warning at `share` of what is left."""
        self.due_at = due
        self.warn_at = calendar.add(now, share * calendar.between(now, due))
        self.warned_at = None
        if self.state == "paused":
            self.left = calendar.between(now, due)
            self.warn_left = calendar.between(now, self.warn_at)

    @property
    def within(self) -> bool:
        return self.breached_at is None

    def met_at(self, moment: datetime) -> bool:
        """Whether stopping at `moment` (as this clock did, or would) meets its deadline:
        never once breached; a clock stopped while paused still had time left."""
        if self.breached_at is not None:
            return False
        return moment <= self.due_at or (self.left is not None and self.left > 0)


CalendarFor = Callable[[Basis], Calendar]


def start_clocks(policy: Policy, start: datetime, calendar_for: CalendarFor) -> list[Clock]:
    """Fresh clocks for an assignment dispatched at `start`, each on its policy's basis."""
    clocks = []
    for name in CLOCKS:
        basis = policy.bases[name]
        calendar = calendar_for(basis)
        span = policy.hours[name] * 3600
        due = calendar.add(start, span)
        warn = calendar.add(start, span * policy.warn_share)
        clocks.append(Clock(name, basis, start, due, warn))
    return clocks


def limit_problems(
    hours: Mapping[ClockName, float], bases: Mapping[ClockName, Basis]
) -> list[ClockName]:
    """The clocks whose limit is shorter than the one before it on the same basis: a ticket
    cannot be contacted after it must be resolved, nor acknowledged after it is contacted."""
    found: list[ClockName] = []
    for earlier, later in pairwise(CLOCKS):
        if bases[earlier] == bases[later] and hours[later] < hours[earlier]:
            found.append(later)
    return found


def most_specific_first(
    by_category: Mapping[tuple[str, str], str],
) -> list[tuple[str, str, str]]:
    """(prefix, urgency) → policy, ordered so that the first match is the most specific one:
    a leaf's own policy before its branch's, and for one prefix a policy for the ticket's
    urgency before the one for any urgency."""
    ordered = sorted(by_category.items(), key=lambda i: (-len(i[0][0]), i[0][0], i[0][1] == ""))
    return [(prefix, urgency, name) for (prefix, urgency), name in ordered]

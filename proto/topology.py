"""Who publishes and who consumes which event: declared here once.

Each topic has one producing service (sign-in and audit events: every service); each consumer group
names the event types it handles. `services.common.platform.add_consumer` refuses a wiring
that differs from this (other handlers, or other topics subscribed), so a bootstrap and
this table cannot drift apart; `table()` renders the event table for the documentation.
"""

from __future__ import annotations

from dataclasses import dataclass

from proto import assignments as a
from proto import audit as au
from proto import feedback as f
from proto import insights as i
from proto import sessions as s
from proto import tickets as t
from proto.envelope import Event
from proto.events import EVENTS, TOPICS

SERVICES = ("intake", "dispatch", "feedback", "search")

PRODUCERS: dict[str, tuple[str, ...]] = {
    t.TICKETS: ("intake",),
    a.ASSIGNMENTS: ("dispatch",),
    f.FEEDBACK: ("feedback",),
    s.SESSIONS: SERVICES,
    au.AUDIT: SERVICES,
    i.INSIGHTS: ("search",),
}

_SEARCHED = tuple(e for e in EVENTS if e.TOPIC not in (s.SESSIONS, au.AUDIT, i.INSIGHTS))
_SIGN_IN = (s.SignInFailed, s.SignInSucceeded, s.SessionRevoked)

# Consumer group → the events it handles. The group is named after its service; every
# service also folds everyone's sign-in events in its `<service>-sessions` group.
CONSUMERS: dict[str, tuple[type[Event], ...]] = {
    "intake": (
        a.AssignmentDispatched,
        a.TicketQueuedForReview,
        a.AssignmentAcknowledged,
        a.CitizenContacted,
        a.AssignmentResolved,
        a.AssignmentReturned,
        a.AssignmentSupervised,
        f.RatingRequested,
        f.TicketRated,
        f.TicketClosed,
        f.ReopenRequested,
    ),
    "dispatch": (
        t.TicketCreated,
        t.TicketRaisedForSupervision,
        f.ReopenRequested,
        i.HotSpotRaised,
        i.HotSpotCleared,
    ),
    "feedback": (
        t.TicketCreated,
        t.TicketAnsweredDirectly,
        a.AssignmentDispatched,
        a.AssignmentAcknowledged,
        a.CitizenContacted,
        a.AssignmentReturned,
        a.ClocksResumed,
        a.AssignmentResolved,
    ),
    "search": _SEARCHED,
    # The audit log: every configuration change and personal-data access, kept by search.
    "search-audit": au.EVENTS,
    **{f"{service}-sessions": _SIGN_IN for service in SERVICES},
}


@dataclass(frozen=True)
class Route:
    type: str
    topic: str
    producers: tuple[str, ...]
    consumers: tuple[str, ...]


def routes() -> list[Route]:
    """One row per event type, in the order of `proto.events.EVENTS`."""
    return [
        Route(
            e.TYPE,
            e.TOPIC,
            PRODUCERS[e.TOPIC],
            tuple(group for group, handled in CONSUMERS.items() if e in handled),
        )
        for e in EVENTS
    ]


def handled(group: str) -> frozenset[str]:
    return frozenset(e.TYPE for e in CONSUMERS[group])


def topics(group: str) -> tuple[str, ...]:
    """The topics `group` subscribes to: those its events travel on, in `TOPICS` order."""
    used = {e.TOPIC for e in CONSUMERS[group]}
    return tuple(topic for topic in TOPICS if topic in used)


def mismatch(group: str, topics_: tuple[str, ...] | list[str], types: set[str]) -> str:
    """What differs between a wiring and the declaration ('' when nothing does)."""
    if group not in CONSUMERS:
        return f"consumer group {group!r} is not declared in proto/topology.py"
    problems = []
    if set(topics_) != set(topics(group)):
        problems.append(f"subscribes to {sorted(topics_)}, declared {list(topics(group))}")
    if missing := handled(group) - types:
        problems.append(f"lacks handlers for {sorted(missing)}")
    if extra := types - handled(group):
        problems.append(f"handles undeclared {sorted(extra)}")
    return f"consumer {group}: " + "; ".join(problems) if problems else ""


def table() -> str:
    """The event table as Markdown: event, topic, producer(s), consumer groups."""
    lines = ["| event | topic | produced by | consumed by |", "|---|---|---|---|"]
    for r in routes():
        consumers = ", ".join(r.consumers) or "—"
        lines.append(f"| {r.type} | `{r.topic}` | {', '.join(r.producers)} | {consumers} |")
    return "\n".join(lines) + "\n"

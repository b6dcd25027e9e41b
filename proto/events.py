"""Every event contract, by owner: one list for the registry and the schema generator."""

from __future__ import annotations

from proto import assignments, audit, feedback, insights, sessions, tickets
from proto.assignments import ASSIGNMENTS
from proto.audit import AUDIT
from proto.envelope import Event
from proto.feedback import FEEDBACK
from proto.insights import INSIGHTS
from proto.sessions import SESSIONS
from proto.tickets import TICKETS

TOPICS = (TICKETS, ASSIGNMENTS, FEEDBACK, SESSIONS, AUDIT, INSIGHTS)
EVENTS: tuple[type[Event], ...] = (
    *tickets.EVENTS,
    *assignments.EVENTS,
    *feedback.EVENTS,
    *sessions.EVENTS,
    *audit.EVENTS,
    *insights.EVENTS,
)

"""Every event contract, by owner: one list for the registry and the schema generator."""

from __future__ import annotations

from proto import assignments, audit, feedback, sessions, tickets
from proto.assignments import ASSIGNMENTS
from proto.audit import AUDIT
from proto.envelope import Event
from proto.feedback import FEEDBACK
from proto.sessions import SESSIONS
from proto.tickets import TICKETS

TOPICS = (TICKETS, ASSIGNMENTS, FEEDBACK, SESSIONS, AUDIT)
EVENTS: tuple[type[Event], ...] = (
    *tickets.EVENTS,
    *assignments.EVENTS,
    *feedback.EVENTS,
    *sessions.EVENTS,
    *audit.EVENTS,
)

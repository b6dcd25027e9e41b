"""Following a request: the citizen's tracking link (see services/intake/domain/tracking.py
for why it is signed and how it is revoked)."""

from __future__ import annotations

from services.intake.handlers.context import IntakeContext


def tracking_link(intake: IntakeContext, ticket_id: str) -> str:
    """The absolute URL at which the ticket's citizen follows it. Needs no transaction, so
    any use case (an email reply, an Open311 answer, a text) may call it where it stands."""
    return intake.tracking.link(ticket_id, intake.clock())

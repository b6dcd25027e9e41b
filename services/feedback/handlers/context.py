"""What every feedback use case needs, assembled once by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from services.common.clock import utcnow
from services.common.sealed_links import LinkSeal
from services.feedback.adapters.links import LinkSigner
from services.feedback.domain.rates import Weights
from services.feedback.handlers.ports import UnitOfWork


@dataclass(frozen=True)
class FeedbackContext:
    uow: Callable[[], UnitOfWork]
    signer: LinkSigner
    seal: LinkSeal
    base_url: str
    invitation_ttl: timedelta
    reopen_limit: int
    weights: Weights
    clock: Callable[[], datetime] = utcnow

    def link(self, ticket_id: str, invitation_id: str) -> str:
        """The citizen's page for this invitation, as texted by intake."""
        token = self.signer.sign(invitation_id)
        return f"{self.base_url}/rate?{urlencode({'ticket': ticket_id, 't': token})}"

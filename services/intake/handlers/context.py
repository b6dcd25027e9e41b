"""What the use cases need, built once by the bootstrap and passed in plainly."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from proto.tickets import CategorySuggestion
from services.common.clock import utcnow
from services.common.settings import PLACEHOLDER_SECRET
from services.intake.adapters.vault import PhoneVault
from services.intake.domain.addresses import AddressLibrary
from services.intake.domain.tracking import TrackingSigner
from services.intake.handlers.ports import CatalogueCache, UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeContext:
    uow: Callable[[], UnitOfWork]
    addresses: AddressLibrary
    vault: PhoneVault
    catalogue: CatalogueCache = field(default_factory=CatalogueCache)
    reveal_window: timedelta = timedelta(hours=12)
    # More requests than this in a Beijing day flag the caller's new ticket (never refused).
    frequent_caller_per_day: int = 5
    clock: Callable[[], datetime] = utcnow
    # Signs citizens' tracking links; the bootstrap keys it from the caller-key secret.
    tracking: TrackingSigner = field(
        default_factory=lambda: TrackingSigner(PLACEHOLDER_SECRET, "http://127.0.0.1:8001")
    )
    # The category suggester's first leaf for a description (the bootstrap's Suggester).
    suggest: Callable[[str], CategorySuggestion | None] | None = None

    def suggestion_for(self, description: str) -> CategorySuggestion | None:
        """What a new ticket carries as its category suggestion. Never raises: a ticket is
        created whatever the suggester does, then without a suggestion."""
        if self.suggest is None:
            return None
        try:
            found = self.suggest(description)
        except Exception:
            log.exception("category suggestion failed; the ticket is created without one")
            return None
        if found is None:
            log.info("no category suggested; the ticket is created without a suggestion")
        return found

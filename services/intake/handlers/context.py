"""What the use cases need, built once by the bootstrap and passed in plainly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.common.clock import utcnow
from services.common.settings import PLACEHOLDER_SECRET
from services.intake.adapters.vault import PhoneVault
from services.intake.domain.addresses import AddressLibrary
from services.intake.domain.tracking import TrackingSigner
from services.intake.handlers.ports import CatalogueCache, UnitOfWork


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

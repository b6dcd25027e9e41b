"""What the use cases need, built once by the bootstrap and passed in plainly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.common.clock import utcnow
from services.intake.adapters.vault import PhoneVault
from services.intake.domain.addresses import AddressLibrary
from services.intake.handlers.ports import CatalogueCache, UnitOfWork


@dataclass(frozen=True)
class IntakeContext:
    uow: Callable[[], UnitOfWork]
    addresses: AddressLibrary
    vault: PhoneVault
    catalogue: CatalogueCache = field(default_factory=CatalogueCache)
    reveal_window: timedelta = timedelta(hours=12)
    clock: Callable[[], datetime] = utcnow

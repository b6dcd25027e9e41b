"""What the use cases need, built once by the bootstrap and passed in plainly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.common.clock import utcnow
from services.common.db import UnitOfWorkFactory
from services.intake.adapters.catalogue_store import CatalogueCache
from services.intake.adapters.vault import PhoneVault
from services.intake.domain.addresses import AddressLibrary


@dataclass(frozen=True)
class IntakeContext:
    uow: UnitOfWorkFactory
    addresses: AddressLibrary
    vault: PhoneVault
    catalogue: CatalogueCache = field(default_factory=CatalogueCache)
    reveal_window: timedelta = timedelta(hours=12)
    clock: Callable[[], datetime] = utcnow

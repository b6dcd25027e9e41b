"""Picks the bus implementation the settings ask for."""

from __future__ import annotations

from services.common.bus import Bus
from services.common.settings import Settings


def make_bus(settings: Settings) -> Bus:
    """The Kafka bus when `settings.bus` is "kafka", else the embedded log at `bus_path`.

    Kafka support is imported only when chosen, so the embedded profile never loads it.
    """
    if settings.bus == "kafka":
        from services.common.bus.kafka import KafkaBus

        return KafkaBus(settings)
    from services.common.bus.embedded import EmbeddedBus

    return EmbeddedBus(settings.bus_path)

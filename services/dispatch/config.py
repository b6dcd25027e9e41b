"""Dispatch's own settings (HOTLINE_DISPATCH_*), beside the platform's shared Settings."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceName, ServiceSettings
from services.dispatch.adapters.calendar_data import OVERRIDES
from services.dispatch.adapters.seed import SEED


class DispatchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_DISPATCH_")

    service: ClassVar[ServiceName] = "dispatch"

    sla_file: Path = Field(default=SEED / "sla.toml", description="SLA policies (TOML)")
    calendar_file: Path = Field(
        default=OVERRIDES, description="Holidays and make-up workdays for uncovered years"
    )
    scheduler: bool = Field(default=True, description="Run the SLA scheduler in this process")
    scheduler_interval: float = Field(
        default=0.25, gt=0, description="Seconds between ticks when nothing is due"
    )
    scheduler_batch: int = Field(default=500, ge=1, description="Clocks fired per transaction")
    gauge_seconds: float = Field(default=15.0, gt=0, description="Open-assignment gauge refresh")

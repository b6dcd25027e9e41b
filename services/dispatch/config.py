"""Dispatch's own settings (HOTLINE_DISPATCH_*), beside the platform's shared Settings."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceName, ServiceSettings
from services.dispatch.adapters.calendar_data import OVERRIDES
from services.dispatch.adapters.seed import SEED


class DispatchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_DISPATCH_")

    service: ClassVar[ServiceName] = "dispatch"

    sla_file: Path = Field(
        default=SEED / "sla.toml",
        description="SLA policies (TOML) that seed an empty database; admins then edit them",
    )
    calendar_file: Path = Field(
        default=OVERRIDES, description="Holidays and make-up workdays for uncovered years"
    )
    scheduler: bool = Field(default=True, description="Run the SLA scheduler in this process")
    scheduler_interval: float = Field(
        default=0.25, gt=0, description="Seconds between ticks when nothing is due"
    )
    scheduler_batch: int = Field(default=500, ge=1, description="Clocks fired per transaction")
    gauge_seconds: float = Field(default=15.0, gt=0, description="Open-assignment gauge refresh")
    working_hours_start: time = Field(
        default=time(9),
        description="When working time starts on a working day (Beijing time); clocks on "
        "working time count only from here to working_hours_end",
    )
    working_hours_end: time = Field(
        default=time(18), description="When working time ends on a working day (Beijing time)"
    )
    calendar_refresh_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often an instance looks for a holiday year another one imported",
    )
    notice_sms: Literal["outbox", "http"] = Field(
        default="outbox",
        description="How texts reach duty contacts: outbox keeps them in dispatch's notice "
        "list (/api/v1/notices) only; http posts them to notice_sms_url",
    )
    notice_sms_url: str = Field(default="", description="With notice_sms=http: where to POST")
    notice_sms_token: str = Field(default="", description="Bearer token for the SMS gateway")
    notice_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Per notice attempt (SMS or webhook), then retried"
    )
    notice_max_attempts: int = Field(
        default=8, ge=1, description="Attempts before a notice is given up as failed"
    )
    notice_retry_base_seconds: float = Field(
        default=10.0, gt=0, description="First retry delay; doubled each attempt, at most an hour"
    )

    @model_validator(mode="after")
    def _working_hours(self) -> DispatchSettings:
        if self.working_hours_start >= self.working_hours_end:
            raise ValueError("HOTLINE_DISPATCH_WORKING_HOURS_START must be before _END")
        if self.notice_sms == "http" and not self.notice_sms_url:
            raise ValueError(
                "HOTLINE_DISPATCH_NOTICE_SMS=http needs HOTLINE_DISPATCH_NOTICE_SMS_URL"
            )
        return self

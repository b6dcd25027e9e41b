"""Feedback's own settings, read from HOTLINE_FEEDBACK_* environment variables."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.rate_weights import RateWeightSettings
from services.common.settings import (
    LOOPBACK,
    PLACEHOLDER_SECRET,
    ServiceName,
    ServiceSettings,
    Settings,
)


class FeedbackSettings(ServiceSettings, RateWeightSettings):
    """With the rates' weights (RateWeightSettings), which search reads under the same names."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_FEEDBACK_")

    service: ClassVar[ServiceName] = "feedback"
    secrets: ClassVar[dict[str, str]] = {
        "HOTLINE_FEEDBACK_LINK_SECRET": "it signs citizens' rating links; 32+ random characters"
    }

    public_url: str = Field(
        default="",
        description="Where citizens open rating links, e.g. https://12345.example.gov.cn/feedback; "
        "required outside the embedded profile, where empty means this service's own address",
    )
    link_secret: str = Field(
        default=PLACEHOLDER_SECRET,
        min_length=32,
        description="Signs citizens' rating links (32+ random characters); required outside "
        "the embedded profile",
    )
    invitation_ttl_hours: float = Field(default=168.0, gt=0, description="How long a link works")
    reopen_limit: int = Field(
        default=2, ge=0, description="Reopenings (重办) before a refused result goes to 督办"
    )

    appeal_window_days: float = Field(
        default=7.0,
        gt=0,
        description="Days a department has to appeal (申诉): from the dispatch for 'not ours', "
        "from its latest rating on the ticket for the assessment",
    )

    public_rate_limit: int = Field(
        default=30, ge=1, description="Requests per window and client address on public routes"
    )
    public_rate_window_seconds: float = Field(default=60.0, gt=0)
    expiry_sweep_seconds: float = Field(default=60.0, gt=0)
    gauge_refresh_seconds: float = Field(
        default=60.0, gt=0, description="How often this month's rates are recounted for /metrics"
    )

    def checked_for(self, platform: Settings) -> Self:
        """Refuses the shared secrets feedback holds as every service does; then, outside
        the embedded profile, the placeholder link secret (whoever knows it can forge rating
        links) and a missing public address (the links are texted to citizens, who cannot
        reach the service's own address)."""
        settings = platform.checked_for(self.service)
        public = self.link_secret == PLACEHOLDER_SECRET
        if settings.profile == "embedded":
            if public and settings.host not in LOOPBACK:
                raise ValueError(
                    f"HOTLINE_HOST={settings.host} would expose the embedded profile's "
                    "published HOTLINE_FEEDBACK_LINK_SECRET: set it, or listen on 127.0.0.1"
                )
            return self
        unset = ["HOTLINE_FEEDBACK_LINK_SECRET"] if public else []
        unset += [] if self.public_url else ["HOTLINE_FEEDBACK_PUBLIC_URL"]
        if unset:
            raise ValueError(
                "feedback needs, outside the embedded profile:\n"
                + "\n".join(f"{name} must be set" for name in unset)
            )
        return self

    def base_url(self, settings: Settings) -> str:
        return (self.public_url or settings.url_for("feedback")).rstrip("/")

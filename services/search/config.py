"""Search's own settings: which index backs it, and how to reach Elasticsearch (HOTLINE_*)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from services.common.settings import ServiceName, ServiceSettings
from services.search.domain.alarms import Thresholds


class SearchSettings(ServiceSettings):
    """Read by the search service and by `hotline rebuild-search`; its variables keep the
    platform's HOTLINE_ prefix."""

    service: ClassVar[ServiceName] = "search"

    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_username: str = ""
    elasticsearch_password: str = ""
    elasticsearch_index: str = "hotline-tickets"
    elasticsearch_analyzer: str = Field(
        default="cjk", description="cjk, or ik_max_word with IK installed"
    )
    hotspot_alarm_raise_score: float = Field(
        default=3.0,
        gt=0,
        description="A hot spot raises an alarm when its week is this unlikely by chance "
        "(−log10 of the probability: 3 is one in a thousand)",
    )
    hotspot_alarm_clear_score: float = Field(
        default=1.3,
        ge=0,
        description="An alarm clears only once its spot falls below this (lower) score, so "
        "a spot hovering at the threshold does not raise and clear over and over",
    )
    hotspot_alarm_min_count: int = Field(
        default=3,
        ge=1,
        description="Fewer tickets in the last 7 days never raise an alarm, however rare the "
        "spot (one or two calls are noise); the dashboard's hot spots use the same minimum",
    )
    hotspot_alarm_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        le=30,
        description="How often the alarm worker looks at the spots new tickets touched: an "
        "alarm is raised within a minute of the call that tipped it",
    )

    search_public_min_count: int = Field(
        default=10,
        ge=1,
        description="The public month's figures (/api/v1/public) show no count below this, "
        "nor a rate over fewer ratings: with fewer than 10 one person's answer moves a rate "
        "by more than 10 points and may be known to neighbours (docs/public-results.md)",
    )
    search_public_close_days: int = Field(
        default=15,
        ge=0,
        le=60,
        description="Days after a month ends (Beijing time) before its figures are published "
        "and frozen: the 7 days departments have to appeal a rating, and a week to decide",
    )
    search_public_requests_per_minute: int = Field(
        default=120,
        ge=1,
        description="Requests one client address may make per minute to the public month's "
        "page and API on each search instance; more get 429. A page load makes three, and "
        "many citizens may share one address (a mobile carrier's NAT)",
    )

    def hotspot_thresholds(self) -> Thresholds:
        return Thresholds(
            self.hotspot_alarm_raise_score,
            self.hotspot_alarm_clear_score,
            self.hotspot_alarm_min_count,
        )

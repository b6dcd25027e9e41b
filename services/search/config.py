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

    def hotspot_thresholds(self) -> Thresholds:
        return Thresholds(
            self.hotspot_alarm_raise_score,
            self.hotspot_alarm_clear_score,
            self.hotspot_alarm_min_count,
        )

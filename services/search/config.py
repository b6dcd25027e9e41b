"""Search's own settings: which index backs it, and how to reach Elasticsearch (HOTLINE_*)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from services.common.settings import ServiceName, ServiceSettings


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

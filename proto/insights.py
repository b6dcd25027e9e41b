"""Derived alerts search publishes on `hotline.insights`. A hot spot is a category in a
street, counted over many tickets: no event names a ticket or a caller. The envelope's
subject is `hotspot:<category>:<street>`."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from proto.envelope import Event

INSIGHTS = "hotline.insights"


def subject(category_code: str, area_code: str) -> str:
    """The envelope subject of a spot's alarms: one spot's events stay in order."""
    return f"hotspot:{category_code}:{area_code}"


class HotSpotRaised(Event):
    """A spot crossed its threshold: its last 7 days are far busier than the weeks before
    lead one to expect. Raised once per crossing; not again until it has cleared."""

    TYPE = "HotSpotRaised"
    TOPIC = INSIGHTS

    alarm_id: str = Field(description="One crossing of one spot; repeats carry the same id")
    category_code: str
    category_name: str | None = None
    area_code: str = Field(description="The street (街道) code")
    area_name: str | None = None
    count: int = Field(ge=0, description="Tickets of the spot in the last 7 days")
    expected: float = Field(description="The weekly count the weeks before lead one to expect")
    score: float = Field(description="−log10 of the chance of such a week")
    at: AwareDatetime


class HotSpotCleared(Event):
    """The spot fell back below its clearing threshold (lower than the raising one)."""

    TYPE = "HotSpotCleared"
    TOPIC = INSIGHTS

    alarm_id: str
    category_code: str
    area_code: str
    count: int = Field(ge=0)
    score: float
    at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (HotSpotRaised, HotSpotCleared)

"""The envelope every event travels in, whatever its type."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


# Readers ignore fields they do not know (tolerant reader): a producer may add a field
# without a new version, and consumers deployed before it keep working instead of
# dead-lettering its events. Producers are held to the fields by the type checker.
_TOLERANT = ConfigDict(frozen=True, extra="ignore")


class Event(BaseModel):
    """A fact in the past tense. Subclasses name their type, version and topic."""

    model_config = _TOLERANT

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    TOPIC: ClassVar[str]


class Envelope(BaseModel):
    """Metadata shared by all events; `payload` is the event body, validated by type."""

    model_config = _TOLERANT

    event_id: str = Field(default_factory=new_id, min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=100)
    schema_version: int = Field(ge=1)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    producer: str = Field(min_length=1, max_length=50)
    correlation_id: str = Field(min_length=1, max_length=64)
    ticket_id: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls, event: Event, *, producer: str, ticket_id: str, correlation_id: str | None = None
    ) -> Envelope:
        return cls(
            type=event.TYPE,
            schema_version=event.VERSION,
            producer=producer,
            correlation_id=correlation_id or new_id(),
            ticket_id=ticket_id,
            payload=event.model_dump(mode="json"),
        )

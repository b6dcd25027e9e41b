"""Builders for the events dispatch consumes, and a way to put them on a real bus."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from proto.envelope import Envelope, Event, new_id
from proto.registry import encode
from proto.tickets import TicketCreated
from services.common.bus import Bus, Message

PATHS = {
    "010101": ["城乡建设", "市容环境", "噪音扰民"],
    "010102": ["城乡建设", "市容环境", "垃圾清运"],
    "020101": ["公共服务", "供水", "停水"],
    "030102": ["交通出行", "道路交通", "道路破损"],
}


def ticket_created(**overrides: Any) -> TicketCreated:
    """A noise complaint in 永安里 (建外街道, 朝阳区) unless told otherwise."""
    fields: dict[str, Any] = {
        "number": "2611280001",
        "channel": "phone",
        "request_type": "complaint",
        "category_code": "010101",
        "area_code": "110105001001",
        "area_path": ["朝阳区", "建外街道", "永安里社区"],
        "urgency": "general",
        "description": "永安里小区夜间施工噪音扰民，严重影响休息",
        "caller_ref": "cr_test-caller",
        "has_phone": True,
        "created_by": "agent1",
        "created_at": datetime.now(UTC),
    }
    fields.update(overrides)
    fields.setdefault("category_path", PATHS.get(fields["category_code"], ["其他"]))
    return TicketCreated(**fields)


def envelope(event: Event, ticket_id: str | None = None) -> Envelope:
    return Envelope.wrap(event, producer="test", ticket_id=ticket_id or new_id())


def put_on_bus(bus: Bus, *envelopes: Envelope) -> None:
    """Publishes as the owning service's relay would: keyed by ticket, typed in headers."""
    publisher = bus.publisher()
    try:
        publisher.publish(
            [
                Message(
                    _topic(e), e.ticket_id, encode(e), {"type": e.type, "correlation_id": "test"}
                )
                for e in envelopes
            ]
        )
    finally:
        publisher.close()


def _topic(e: Envelope) -> str:
    from proto.registry import event_class

    return event_class(e.type, e.schema_version).TOPIC

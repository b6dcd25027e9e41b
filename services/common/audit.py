"""Configuration changes as audit events: each owner publishes one in the same transaction
as the change (so the audit log cannot miss a change nor show one that rolled back), and
search keeps them as the searchable audit log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from proto.audit import ConfigurationChanged
from services.common.ports import Transaction


def plain(record: Any) -> dict[str, Any] | None:
    """A record as JSON-ready data: dataclasses, mappings and pydantic models alike; dates
    as ISO text, tuples as lists."""
    if record is None:
        return None
    if is_dataclass(record) and not isinstance(record, type):
        record = asdict(record)
    elif hasattr(record, "model_dump"):
        record = record.model_dump(mode="json")
    return {str(k): _value(v) for k, v in dict(record).items()}


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_value(v) for v in value]
    return value


def record_change(
    uow: Transaction,
    *,
    kind: str,
    key: str,
    action: str,
    by: str,
    at: datetime,
    before: Any = None,
    after: Any = None,
    version: int | None = None,
    summary: str = "",
    effective_at: datetime | None = None,
) -> None:
    """Publishes the change on `hotline.audit` inside the caller's transaction."""
    event = ConfigurationChanged(
        kind=kind,
        key=key[:200],
        action=action,
        version=version,
        before=plain(before),
        after=plain(after),
        summary=summary[:500],
        effective_at=effective_at,
        by=by,
        at=at,
    )
    uow.publish(event, ticket_id=f"config:{kind}"[:64], occurred_at=at)

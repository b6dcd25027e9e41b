"""Scheduled configuration changes on both databases: kept and audited when asked, applied
once when due (and not before), failed with the reason when they no longer fit, cancelled
only while pending."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table, select

from services.common import scheduled
from services.common.auth import Principal, Role
from services.common.db import make_engine, uow_factory
from services.common.errors import Conflict, Invalid
from services.common.messaging_tables import outbox_table
from tests.support import peers

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
ADMIN = Principal("admin", "管理员", Role.admin)

metadata = MetaData()
settings = Table(
    "settings", metadata, Column("name", String(40), primary_key=True), Column("value", String(200))
)
changes = scheduled.scheduled_table(metadata)
outbox = outbox_table(metadata)


def set_value(uow: Any, payload: Mapping[str, Any], by: Principal, at: datetime) -> None:
    if payload["value"] == "refused":
        raise Conflict("status.409")
    uow.session.execute(settings.insert().values(name=payload["name"], value=payload["value"]))


APPLIERS = {"setting": set_value}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peers)])
def uows(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/scheduled.db"
    else:
        postgres: peers.Peer = request.getfixturevalue("postgres")
        name = f"scheduled_{uuid.uuid4().hex[:8]}"
        peers.create_databases(postgres, (name,))
        url = postgres.url.replace("{db}", name)
    engine = make_engine(url)
    metadata.create_all(engine)
    yield uow_factory(engine, metadata, "test")
    engine.dispose()


def _schedule(uows: Any, value: str, at: datetime) -> str:
    with uows() as uow:
        found = scheduled.schedule(
            uow,
            changes,
            kind="setting",
            key="colour",
            payload={"name": value, "value": value},
            effective_at=at,
            by=ADMIN,
            now=NOW,
        )
        uow.commit()
    return found.id


def _values(uows: Any) -> list[str]:
    with uows() as uow:
        return list(uow.session.scalars(select(settings.c.value)))


def _audited(uows: Any) -> list[dict[str, Any]]:
    with uows() as uow:
        return [json.loads(p)["payload"] for p in uow.session.scalars(select(outbox.c.payload))]


def test_a_change_is_applied_once_when_due_and_not_before(uows: Any) -> None:
    _schedule(uows, "red", NOW + timedelta(hours=1))
    assert scheduled.apply_due(uows, changes, APPLIERS, lambda: NOW) == 0
    assert _values(uows) == []
    assert scheduled.apply_due(uows, changes, APPLIERS, lambda: NOW + timedelta(hours=1)) == 1
    assert scheduled.apply_due(uows, changes, APPLIERS, lambda: NOW + timedelta(hours=2)) == 0
    assert _values(uows) == ["red"]
    [audit] = _audited(uows)
    assert (audit["kind"], audit["action"], audit["after"]["value"]) == (
        "setting",
        "schedule",
        "red",
    )
    with uows() as uow:
        assert scheduled.pending(uow.session, changes) == []


def test_a_change_that_no_longer_fits_fails_with_its_reason_and_others_still_apply(
    uows: Any,
) -> None:
    _schedule(uows, "refused", NOW + timedelta(minutes=1))
    _schedule(uows, "blue", NOW + timedelta(minutes=2))
    assert scheduled.apply_due(uows, changes, APPLIERS, lambda: NOW + timedelta(hours=1)) == 2
    assert _values(uows) == ["blue"]
    with uows() as uow:
        [failed] = scheduled.pending(uow.session, changes)
    assert failed.state == "failed" and failed.error and "status.409" in failed.error


def test_only_a_pending_change_can_be_cancelled_and_the_cancel_is_audited(uows: Any) -> None:
    first = _schedule(uows, "green", NOW + timedelta(days=1))
    with uows() as uow:
        scheduled.cancel(uow, changes, first, ADMIN, NOW)
        uow.commit()
    assert scheduled.apply_due(uows, changes, APPLIERS, lambda: NOW + timedelta(days=2)) == 0
    assert _values(uows) == []
    with uows() as uow, pytest.raises(Conflict):
        scheduled.cancel(uow, changes, first, ADMIN, NOW)
    assert [a["action"] for a in _audited(uows)] == ["schedule", "cancel"]


def test_a_moment_in_the_past_is_refused_and_none_means_now() -> None:
    assert scheduled.when(None, NOW) is None
    assert scheduled.when(NOW + timedelta(seconds=1), NOW) == NOW + timedelta(seconds=1)
    with pytest.raises(Invalid):
        scheduled.when(NOW, NOW)

"""Upgrading to caller privacy (revision 0005) keeps what was there in its new form: intake's
callers get random references (one per number) and its reveal log becomes the audit;
dispatch and feedback keep whether a caller left a number, and no masked number."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from services.common.db import make_engine
from services.common.migrations import upgrade

AT = datetime(2026, 1, 1, tzinfo=UTC).isoformat()


def test_intake_gives_old_callers_references_and_keeps_its_reveals(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    upgrade("intake", url, "0004")
    engine = make_engine(url)
    with engine.begin() as conn:
        for call, ticket, key in (("c1", "t1", "k1"), ("c2", "t2", "k1"), ("c3", "t3", None)):
            conn.execute(
                text(
                    "INSERT INTO calls (id, ticket_id, channel, request_type, description,"
                    " caller_masked, caller_key, caller_cipher, taken_by, taken_at)"
                    " VALUES (:c, :t, 'phone', 'complaint', 'd', :m, :k, NULL, 'agent1', :at)"
                ),
                {"c": call, "t": ticket, "k": key, "m": key and "138****5678", "at": AT},
            )
        conn.execute(
            text(
                "INSERT INTO phone_reveals (call_id, revealed_by, revealed_at)"
                " VALUES ('c1', 'agent1', :at)"
            ),
            {"at": AT},
        )
    upgrade("intake", url)
    with engine.connect() as conn:
        refs = dict(conn.execute(text("SELECT id, caller_ref FROM calls")).all())
        audit = conn.execute(
            text("SELECT actor, action, outcome, reason, ticket_id, call_id FROM privacy_audit")
        ).all()
    engine.dispose()
    assert refs["c1"] == refs["c2"] and refs["c1"].startswith("cr_") and refs["c3"] is None
    assert [tuple(a) for a in audit] == [("agent1", "reveal", "revealed", "logged", "t1", "c1")]


@pytest.mark.parametrize(
    ("service", "table"), [("dispatch", "tickets"), ("feedback", "feedback_tickets")]
)
def test_readers_keep_whether_there_was_a_number_and_not_the_mask(
    tmp_path: Path, service: str, table: str
) -> None:
    url = f"sqlite:///{tmp_path / service}.db"
    upgrade(service, url, "0004")
    engine = make_engine(url)
    columns = {
        "dispatch": "id, number, category_code, category_name, area_name, urgency, description,"
        " created_at, state, round, caller_masked",
        "feedback": "ticket_id, number, status, updated_at, caller_masked",
    }[service]
    values = {
        "dispatch": "'{id}', 'n{id}', 'c', 'c', 'a', 'general', 'd', :at, 'review', 1, {masked}",
        "feedback": "'{id}', 'n{id}', 'open', :at, {masked}",
    }[service]
    with engine.begin() as conn:
        for ticket, masked in (("t1", "'138****5678'"), ("t2", "NULL")):
            row = values.format(id=ticket, masked=masked)
            conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({row})"), {"at": AT})
    upgrade(service, url)
    with engine.connect() as conn:
        key = "id" if service == "dispatch" else "ticket_id"
        found = dict(conn.execute(text(f"SELECT {key}, has_phone FROM {table}")).all())
        names = [r[1] for r in conn.execute(text(f"PRAGMA table_info({table})"))]
    engine.dispose()
    assert found == {"t1": True, "t2": False}
    assert "caller_masked" not in names

"""Upgrading a database written before calls had their own table keeps every ticket's
first call, so counts and agents' recent calls include old tickets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from services.common.db import make_engine
from services.common.migrations import upgrade


def test_old_tickets_get_their_first_call(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    upgrade("intake", url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tickets (id, number, channel, request_type, category_code,"
                " category_path, area_code, area_path, urgency, description, caller_masked,"
                " caller_key, created_by, created_at, status) VALUES ('t1', '26010100001',"
                " 'phone', 'complaint', '010101', :path, '110105001001', :path, 'general',"
                " '噪音', '138****5678', 'k', 'agent1', :at, 'dispatched')"
            ),
            {"path": json.dumps(["a"]), "at": datetime(2026, 1, 1, tzinfo=UTC).isoformat()},
        )
    upgrade("intake", url)
    with engine.connect() as conn:
        call = conn.execute(text("SELECT ticket_id, taken_by, caller_cipher FROM calls")).one()
        ticket = conn.execute(text("SELECT calls, closed_at FROM tickets")).one()
    engine.dispose()
    assert tuple(call) == ("t1", "agent1", None)
    assert tuple(ticket) == (1, None)

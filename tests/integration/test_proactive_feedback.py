"""A proactive ticket (未诉先办) in the feedback service as its bootstrap builds it: it has no
caller, so once resolved nobody is asked — no agent is told to call it back and its rating
link reaches no one — and it counts in no rate (docs/three-rates.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from proto.tickets import TicketCreated
from tests.support.feedback import Running, new_id, running_feedback


@pytest.fixture(scope="module")
def fb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data_dir: Path = tmp_path_factory.mktemp("proactive-feedback")
    with running_feedback(data_dir, public_url="https://12345.example.gov.cn/feedback/") as run:
        yield run


def proactive(fb: Running) -> str:
    ticket_id = new_id()
    event = TicketCreated(
        number="2612030009", channel="proactive", request_type="help", category_code="010101",
        category_path=["城乡建设", "市容环境", "噪音扰民"], area_code="110105001",
        area_path=["朝阳区", "建外街道"], urgency="general", description="热点：夜间施工噪音",
        created_by="dispatcher", created_at=datetime.now(UTC), source="hotspot:010101@110105001",
    )  # fmt: skip
    fb.peers.publish(event, ticket_id, "intake")
    return ticket_id


def test_a_resolved_proactive_ticket_asks_nobody_and_counts_in_no_rate(fb: Running) -> None:
    mine = proactive(fb)
    fb.resolved("2612030009", "D-JXS", ticket_id=mine)
    called, link = fb.resolved("2612030010", "D-JXS")  # a citizen's call, for comparison
    due = fb.client.get("/api/v1/callbacks/due", headers=fb.headers("agent1")).json()
    assert called in {row["ticket_id"] for row in due}
    assert mine not in {row["ticket_id"] for row in due}
    answered = fb.rate(link, contacted=True, solved=True, satisfaction="satisfied")
    assert answered.status_code == 201, answered.text
    ranking = fb.client.get("/api/v1/rankings", headers=fb.headers("leader")).json()
    assert [(r["department_code"], r["rated"]) for r in ranking["rows"]] == [("D-JXS", 1)]
    assert ranking["total"]["rated"] == 1

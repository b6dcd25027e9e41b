"""Intake on PostgreSQL (the production database): agents attaching calls at the same
moment, duplicates through the partial indexes, and the seeded catalogue."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.common.settings import Settings
from services.intake.bootstrap import build
from tests.support import peers
from tests.support.intake import IntakeApi, app_of, count, outbox

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def api(postgres: peers.Peer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeApi]:
    name = f"intake_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    data_dir: Path = tmp_path_factory.mktemp("intake-pg")
    settings = Settings(data_dir=data_dir, database_url=postgres.url.replace("{db}", name))
    with TestClient(build(settings)) as client:
        yield IntakeApi(client)


def test_concurrent_attachments_each_get_their_own_count(api: IntakeApi) -> None:
    ticket = api.call().json()
    api.headers("agent2")  # sign in before the threads race

    def attach(n: int) -> int:
        user = "agent1" if n % 2 else "agent2"
        response = api.call(user, duplicate_of=ticket["id"], caller_phone=f"1390000{n:04d}")
        assert response.status_code == 201, response.text
        return int(response.json()["calls"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = sorted(pool.map(attach, range(6)))
    assert counts == [2, 3, 4, 5, 6, 7]
    raised = [kind for kind, _ in outbox(api.client, ticket["id"]) if "Supervision" in kind]
    assert raised == ["TicketRaisedForSupervision"]


def test_concurrent_new_tickets_each_get_their_own_number(api: IntakeApi) -> None:
    api.headers("agent2")  # sign in before the threads race

    def new_ticket(n: int) -> str:
        user = "agent1" if n % 2 else "agent2"
        response = api.call(user, caller_phone=f"1370000{n:04d}", description=f"路灯不亮 {n}")
        assert response.status_code == 201, response.text
        return str(response.json()["number"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(new_ticket, range(12)))
    assert len(set(numbers)) == 12
    sequences = sorted(int(number[-5:]) for number in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 12))  # no gaps when all succeed


def test_duplicates_use_the_open_ticket_indexes(api: IntakeApi) -> None:
    mine = api.call(
        area_code="110105002001",
        description="吉祥里小区门口垃圾桶满溢无人清运",
        category_code="010102",
    ).json()
    found = api.get("/api/v1/duplicates", area_code="110105002", text="垃圾桶满了没人清运").json()
    assert found[0]["ticket"]["id"] == mine["id"]
    engine = app_of(api.client).state.platform.engine
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = (
            conn.execute(
                text(
                    "EXPLAIN SELECT id FROM tickets WHERE area_code = '110105002001' "
                    "AND closed_at IS NULL AND created_at >= now() - interval '30 days' "
                    "ORDER BY created_at DESC LIMIT 200"
                )
            )
            .scalars()
            .all()
        )
    assert "ix_tickets_open_area" in " ".join(plan)


def test_the_catalogue_is_seeded_once_and_refuses_bad_calls(api: IntakeApi) -> None:
    assert count(api.client, "catalogue_changes") >= 1
    assert api.get("/api/v1/categories", q="ts").json()[0]["code"] == "020101"  # 停水
    before = count(api.client, "tickets")
    assert api.call(category_code="0101").status_code == 422
    assert api.call(caller_phone="110").status_code == 422
    assert count(api.client, "tickets") == before

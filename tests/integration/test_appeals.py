"""Appeals (申诉) end to end on SQLite and PostgreSQL: a department files one against its
assessment, a dispatcher upholds it, a leader reverses it; the rankings API, the ratings
export and search's dashboard move exactly as docs/three-rates.md (Appeals) defines, and
back. Bad input is refused with a problem in Chinese or English and stores nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from services.common.settings import Settings
from services.feedback.adapters.orm import metadata
from services.search.bootstrap import build as build_search
from tests.support import peers as real_peers
from tests.support.feedback import Running, opened, running_feedback
from tests.support.harness import PASSWORDS, drain, driven


class World:
    def __init__(self, fb: Running, search: TestClient, search_app: Any) -> None:
        self.fb = fb
        self.search = search
        self.search_app = search_app
        self.tickets: dict[str, tuple[str, str]] = {}  # number → (ticket id, lead assignment)

    def rated(self, number: str, *answers: Any) -> tuple[str, str]:
        fb = self.fb
        ticket_id = fb.peers.ticket(number)
        lead = fb.peers.dispatched(ticket_id, "D-JXS")
        fb.peers.contacted(ticket_id, lead, "D-JXS", on_time=True)
        fb.peers.resolved(ticket_id, lead, "D-JXS")
        link = opened(fb.peers.wait_for("RatingRequested", ticket_id)[0])
        contacted, solved, satisfaction = answers
        answer = {"contacted": contacted, "solved": solved, "satisfaction": satisfaction}
        assert fb.rate(link, **answer).status_code == 201
        self.tickets[number] = (ticket_id, lead)
        return ticket_id, lead

    def post(self, path: str, user: str, body: dict[str, Any], lang: str = "zh-CN") -> Any:
        return self.fb.client.post(path, json=body, headers=self.fb.headers(user, lang))

    def ranking_row(self) -> dict[str, Any]:
        table = self.fb.client.get("/api/v1/rankings", headers=self.fb.headers("leader")).json()
        (row,) = [r for r in table["rows"] if r["department_code"] == "D-JXS"]
        return {"row": row, "excluded": table["excluded"], "total": table["total"]}

    def board_row(self) -> dict[str, Any]:
        self.fb.peers.feedback_events()  # feedback's relay publishes what it stored
        drain(self.search_app)
        board = self.search.get("/api/v1/dashboard").json()
        (row,) = [r for r in board["departments"] if r["key"] == "D-JXS"]
        return dict(row)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    data_dir: Path = tmp_path_factory.mktemp(f"appeals-{request.param}")
    url = ""
    if request.param == "postgresql":
        server: real_peers.Peer = request.getfixturevalue("postgres")
        name = f"fb{uuid.uuid4().hex[:10]}"
        real_peers.create_databases(server, (name,))
        url = server.url.replace("{db}", name)
    with running_feedback(data_dir, url, public_rate_limit=10_000) as fb:
        search_app = driven(build_search(Settings(data_dir=data_dir)))
        with TestClient(search_app) as search:
            form = {"username": "leader", "password": PASSWORDS["leader"]}
            assert search.post("/api/v1/auth/token", data=form).status_code == 200
            w = World(fb, search, search_app)
            w.rated("A-1", True, True, "satisfied")
            w.rated("A-2", False, False, "dissatisfied")
            yield w


def _rates(row: dict[str, Any]) -> tuple[Any, ...]:
    r = row["rates"]
    return row["rated"], r["response"], r["resolution"], r["satisfaction"], r["score"]


def test_an_upheld_appeal_takes_the_ticket_out_of_the_rates_and_a_reversal_puts_it_back(
    world: World,
) -> None:
    # Before: 2 ratings; 1 responded, 1 solved, 1 satisfied → 50 / 50 / 50, score 50.
    before = world.ranking_row()
    assert _rates(before["row"]) == (2, 50.0, 50.0, 50.0, 50.0)
    assert before["row"]["excluded_tickets"] == 0 and before["excluded"] == []
    board = world.board_row()
    assert (board["m_rated"], board["response_rate"], board["excluded_tickets"]) == (2, 0.5, 0)

    ticket_id, lead = world.tickets["A-2"]
    filed = world.post(
        "/api/v1/appeals",
        "chaoyang-jxs",
        {"assignment_id": lead, "kind": "citizen_unreachable", "reason": "市民三次拒接电话",
         "photos": ["ph_abcdefgh1234"]},
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    appeal_id = filed.json()["appeal_id"]
    assert _rates(world.ranking_row()["row"]) == (2, 50.0, 50.0, 50.0, 50.0)  # pending: no change

    decided = world.post(
        f"/api/v1/appeals/{appeal_id}/decision",
        "dispatcher",
        {"outcome": "upheld", "reason": "通话记录属实"},
    )
    assert decided.json() == {"appeal_id": appeal_id, "status": "upheld", "excluded": True}
    # Upheld: A-2 counts for no D-JXS rate → 1 rating, all 100; shown as 1 ticket excluded.
    upheld = world.ranking_row()
    assert _rates(upheld["row"]) == (1, 100.0, 100.0, 100.0, 100.0)
    assert upheld["row"]["excluded_tickets"] == 1 and upheld["total"]["rated"] == 1
    assert [(e["department_code"], e["tickets"], e["ratings"]) for e in upheld["excluded"]] == [
        ("D-JXS", 1, 1)
    ]
    board = world.board_row()
    assert (board["m_rated"], board["response_rate"], board["satisfaction_rate"]) == (1, 1.0, 1.0)
    assert board["excluded_tickets"] == 1
    month = (
        upheld["row"]
        and world.fb.client.get("/api/v1/rankings", headers=world.fb.headers("leader")).json()[
            "month"
        ]
    )
    export = world.fb.client.get(
        f"/api/v1/rankings/{month}/ratings.csv", headers=world.fb.headers("leader")
    ).text
    flagged = {line.split(",")[1]: line.rsplit(",", 1)[1] for line in export.splitlines()[1:]}
    assert flagged[ticket_id] == "true" and flagged[world.tickets["A-1"][0]] == "false"

    reversed_ = world.post(
        f"/api/v1/appeals/{appeal_id}/reversal", "leader", {"reason": "复核：市民当日有接听记录"}
    )
    assert reversed_.json() == {"appeal_id": appeal_id, "status": "rejected", "excluded": False}
    after = world.ranking_row()
    assert _rates(after["row"]) == _rates(before["row"]) and after["excluded"] == []
    board = world.board_row()
    assert (board["m_rated"], board["response_rate"], board["excluded_tickets"]) == (2, 0.5, 0)

    timeline = world.search.get(f"/api/v1/tickets/{ticket_id}/timeline").json()
    steps = [(e["type"], e["by"]) for e in timeline if e["type"].startswith("Appeal")]
    assert steps == [
        ("AppealFiled", "chaoyang-jxs"),
        ("AppealDecided", "dispatcher"),
        ("AppealReversed", "leader"),
    ]
    (listed,) = [
        a
        for a in world.fb.client.get(
            "/api/v1/appeals", headers=world.fb.headers("chaoyang-jxs")
        ).json()
        if a["appeal_id"] == appeal_id
    ]
    assert [(s["action"], s["outcome"], s["by"]) for s in listed["steps"]] == [
        ("filed", None, "chaoyang-jxs"),
        ("decided", "upheld", "dispatcher"),
        ("reversed", "rejected", "leader"),
    ]
    assert listed["photos"] == ["ph_abcdefgh1234"] and listed["number"] == "A-2"


def test_bad_appeals_are_refused_in_either_language_and_store_nothing(world: World) -> None:
    _, lead = world.tickets["A-1"]
    stored = world.fb.count("appeals"), world.fb.count("appeal_steps"), world.fb.count("outbox")
    good = {"assignment_id": lead, "kind": "not_ours", "reason": "不属于本单位职责"}

    def refused(user: str, body: dict[str, Any], lang: str = "zh-CN", path: str = "") -> Any:
        response = world.post(f"/api/v1/appeals{path}", user, body, lang)
        assert response.headers["content-type"].startswith("application/problem+json")
        return response.status_code, response.json()

    status, problem = refused("water", good)  # another department's assignment
    assert status == 404 and "未找到本单位的派单" in problem["detail"]
    assert refused("dispatcher", good)[0] == 403
    status, problem = refused("chaoyang-jxs", good | {"reason": "  "}, "en")
    assert status == 422 and problem["errors"][0]["field"] == "reason"
    status, problem = refused("chaoyang-jxs", good | {"photos": ["photo.jpg"]})
    assert status == 422 and "照片编号" in problem["errors"][0]["message"]
    assert (
        refused("chaoyang-jxs", good | {"photos": [f"ph_{i}bcdefghij" for i in range(4)]})[0] == 422
    )
    assert refused("chaoyang-jxs", good | {"kind": "too_hard"})[0] == 422
    world.fb.clock.fixed = world.fb.clock() + timedelta(days=7, minutes=1)
    try:
        status, problem = refused("chaoyang-jxs", good, "en")
        assert status == 409 and problem["detail"] == "The time to appeal (7 days) has passed."
    finally:
        world.fb.clock.fixed = None
    assert (
        refused("dispatcher", {"outcome": "upheld", "reason": "x"}, path="/nope/decision")[0] == 404
    )
    assert (
        refused("chaoyang-jxs", {"outcome": "upheld", "reason": "x"}, path="/nope/decision")[0]
        == 403
    )
    assert (
        world.fb.count("appeals"),
        world.fb.count("appeal_steps"),
        world.fb.count("outbox"),
    ) == stored

    first = world.post("/api/v1/appeals", "chaoyang-jxs", good)
    assert first.status_code == 201
    status, problem = refused("chaoyang-jxs", good)
    assert status == 409 and "正在等待裁定" in problem["detail"]
    path = f"/{first.json()['appeal_id']}"
    assert refused("dispatcher", {"reason": "改判"}, path=path + "/reversal")[0] == 403
    assert refused("leader", {"reason": "改判"}, path=path + "/reversal")[0] == 409
    decided = world.post(
        f"/api/v1/appeals{path}/decision",
        "leader",
        {"outcome": "rejected", "reason": "属本单位职责"},
    )
    assert decided.status_code == 200
    status, problem = refused(
        "dispatcher", {"outcome": "upheld", "reason": "x"}, path=path + "/decision"
    )
    assert status == 409


def test_the_migrated_schema_equals_the_tables_the_code_declares(world: World) -> None:
    with world.fb.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []

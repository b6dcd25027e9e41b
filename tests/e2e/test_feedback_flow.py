"""The citizen has the last word, end to end through the real processes: a call is
dispatched, the department resolves it, feedback invites the citizen, who rates on the
page in Chromium; a satisfied answer closes the ticket, a refusal makes dispatch open a
second round.

On the embedded profile only, to bound the suite's time: feedback's storage is covered on
PostgreSQL by tests/integration/test_feedback_rankings.py and the Kafka bus by the
platform's own tests. Without the `cluster` fixture below, the shared one in conftest.py
runs this module on both profiles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.common.bus.factory import make_bus
from services.common.settings import Settings
from tests.support.feedback import Peers, opened
from tests.support.harness import Cluster, call_body, embedded_env, eventually


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("feedback-flow")
    platform = Cluster(embedded_env(data_dir), data_dir)
    platform.start()
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def peers(cluster: Cluster) -> Iterator[Peers]:
    settings = Settings(
        data_dir=Path(cluster.env["HOTLINE_DATA_DIR"]),
        bus=cluster.env.get("HOTLINE_BUS", "embedded"),  # type: ignore[arg-type]
        kafka_bootstrap=cluster.env.get("HOTLINE_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
    )
    following = Peers(make_bus(settings))
    yield following
    following.close()


def _resolved_by_the_department(cluster: Cluster, description: str) -> tuple[str, str]:
    """A call routed to 建外街道 (D-JXS), acknowledged, contacted and resolved there.
    Returns (ticket id, assignment id)."""
    with cluster.client("intake", "agent1") as intake:
        response = intake.post("/api/v1/calls", json=call_body(description=description))
    assert response.status_code == 201, response.text
    ticket_id = response.json()["id"]
    with cluster.client("dispatch", "chaoyang-jxs") as street:
        assignment = eventually(
            lambda: street.get("/api/v1/assignments", params={"ticket_id": ticket_id}).json()
        )[0]
        url = f"/api/v1/assignments/{assignment['id']}"
        for action, body in (
            ("acknowledge", None),
            ("contact", {"note": "已电话联系市民"}),
            ("resolve", {"outcome": "已协调施工单位停止夜间施工"}),
        ):
            done = street.post(f"{url}/{action}", json=body)
            assert done.status_code == 200, (action, done.text)
    return ticket_id, assignment["id"]


def _rate_on_the_phone(browser: Any, link: str, answers: tuple[str, str, str]) -> str:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.goto(link)
    page.wait_for_selector("#invite:not([hidden])")
    assert page.inner_text("#department") == "朝阳区建外街道办事处"
    for name in answers:
        page.get_by_role("radio", name=name, exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_selector("#outcome:not([hidden])")
    text = str(page.inner_text("#outcome"))
    context.close()
    return text


def test_a_satisfied_citizen_closes_the_ticket(
    cluster: Cluster, peers: Peers, browser: Any
) -> None:
    ticket_id, _ = _resolved_by_the_department(cluster, "永安里夜间施工噪音，已经第三晚了")
    invitation = peers.wait_for("RatingRequested", ticket_id)[0]
    assert invitation.department_code == "D-JXS"
    assert "13812345678" not in opened(invitation)

    outcome = _rate_on_the_phone(browser, opened(invitation), ("联系过", "已解决", "满意"))
    assert "您的工单已办结" in outcome
    closed = peers.wait_for("TicketClosed", ticket_id)[0]
    assert closed.reason == "satisfied"
    rated = peers.wait_for("TicketRated", ticket_id)[0]
    assert (rated.contacted, rated.contact_on_time, rated.via) == (True, True, "link")

    with cluster.client("feedback", "leader") as feedback:
        table = feedback.get("/api/v1/rankings").json()
    row = next(r for r in table["rows"] if r["department_code"] == "D-JXS")
    assert row["rated"] >= 1


def test_a_refusal_sends_the_ticket_back_for_a_second_round(
    cluster: Cluster, peers: Peers, browser: Any
) -> None:
    ticket_id, first = _resolved_by_the_department(cluster, "建外SOHO楼下夜间施工噪音扰民")
    link = opened(peers.wait_for("RatingRequested", ticket_id)[0])
    outcome = _rate_on_the_phone(browser, link, ("联系过", "未解决", "不满意"))
    assert "重新办理" in outcome
    reopen = peers.wait_for("ReopenRequested", ticket_id)[0]
    assert (reopen.reopen_count, reopen.supervise, reopen.assignment_id) == (1, False, first)

    def second_round() -> list[dict[str, Any]]:
        with cluster.client("dispatch", "dispatcher") as dispatch:
            rows = dispatch.get("/api/v1/assignments", params={"ticket_id": ticket_id}).json()
        return [a for a in rows if a["round"] == 2]

    again = eventually(second_round)[0]
    assert again["department_code"] == "D-JXS"
    with cluster.client("feedback", "leader") as feedback:
        tracked = eventually(
            lambda: [
                a
                for a in feedback.get(f"/api/v1/tickets/{ticket_id}/assignments").json()
                if a["round"] == 2
            ]
        )
        assert tracked[0]["assignment_id"] == again["id"]
        view = feedback.get(f"/api/v1/tickets/{ticket_id}/feedback").json()
    assert (view["status"], view["reopen_count"]) == ("open", 1)
    assert [r["satisfaction"] for r in view["ratings"]] == ["dissatisfied"]

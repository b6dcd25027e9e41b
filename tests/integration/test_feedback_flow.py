"""Feedback on a real SQLite database with the real embedded bus: invitations follow the
lead's resolution, the link is single-use, answers close or reopen the ticket, agents
record callbacks, unanswered invitations expire, and bad input stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update

from services.feedback.adapters.orm import invitations, metadata
from tests.support.feedback import Running, link_parts, opened, running_feedback
from tests.support.harness import eventually

FINE: dict[str, Any] = {"contacted": True, "solved": True, "satisfaction": "satisfied"}
REFUSED: dict[str, Any] = {"contacted": True, "solved": False, "satisfaction": "dissatisfied"}


@pytest.fixture(scope="module")
def fb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data_dir: Path = tmp_path_factory.mktemp("feedback")
    with running_feedback(
        data_dir,
        public_url="https://12345.example.gov.cn/feedback/",
        reopen_limit=1,
        public_rate_limit=10_000,
        gauge_refresh_seconds=0.2,
        expiry_sweep_seconds=0.2,
    ) as running:
        yield running


def test_the_lead_resolution_invites_and_a_satisfied_answer_closes(fb: Running) -> None:
    ticket_id, link = fb.resolved("20260510-0001", "D-JXS", co="U-WATER")
    assert link.startswith(f"https://12345.example.gov.cn/feedback/rate?ticket={ticket_id}&t=")
    # The co-handler's resolution came first and invited no one.
    assert fb.peers.of_ticket(ticket_id) == ["RatingRequested"]

    _, token = link_parts(link)
    shown = fb.client.get(f"/api/v1/tickets/{ticket_id}/invitation", params={"token": token})
    assert shown.status_code == 200
    assert shown.json() | {"expires_at": None} == {
        "ticket_number": "20260510-0001",
        "category": "噪音扰民",
        "department_name": "朝阳区建外街道办事处",
        "kind": "resolved",
        "expires_at": None,
    }
    assert "138" not in shown.text  # nothing about the caller

    answer = fb.rate(link, **FINE, comment="  处理得很及时  ")
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"outcome": "closed"}
    rated, closed = (fb.peers.wait_for(t, ticket_id)[0] for t in ("TicketRated", "TicketClosed"))
    assert (rated.department_code, rated.via, rated.by, rated.comment) == (
        "D-JXS",
        "link",
        None,
        "处理得很及时",
    )
    assert rated.contact_on_time is True
    assert (closed.reason, closed.by) == ("satisfied", None)


def test_a_link_is_used_once(fb: Running) -> None:
    ticket_id, link = fb.resolved("20260510-0002", "D-JXS")
    assert fb.rate(link, **FINE).status_code == 201
    before = fb.count("ratings")
    again = fb.rate(link, **REFUSED)
    assert again.status_code == 409
    assert again.json()["type"].endswith("feedback.link_used")
    assert "已经提交过评价" in again.json()["detail"]
    _, token = link_parts(link)
    shown = fb.client.get(f"/api/v1/tickets/{ticket_id}/invitation", params={"token": token})
    assert shown.status_code == 409
    assert fb.count("ratings") == before


def test_refusals_reopen_then_go_to_supervision_past_the_limit(fb: Running) -> None:
    ticket_id, first = fb.resolved("20260510-0003", "D-ZGC")
    assert fb.rate(first, **REFUSED, comment="还是很吵").json() == {"outcome": "reopened"}
    reopen = fb.peers.wait_for("ReopenRequested", ticket_id)[0]
    assert (reopen.reopen_count, reopen.supervise, reopen.comment) == (1, False, "还是很吵")
    assert reopen.department_code == "D-ZGC"

    _, second = fb.resolved("", "D-ZGC", ticket_id=ticket_id, round_=2)
    assert second != first
    assert fb.rate(second, **REFUSED).json() == {"outcome": "supervised"}
    reopens = fb.peers.wait_for("ReopenRequested", ticket_id, count=2)
    assert (reopens[1].reopen_count, reopens[1].supervise) == (2, True)

    view = fb.client.get(
        f"/api/v1/tickets/{ticket_id}/feedback", headers=fb.headers("dispatcher")
    ).json()
    assert (view["status"], view["reopen_count"]) == ("supervised", 2)
    assert [r["round"] for r in view["ratings"]] == [1, 2]


def test_a_pause_moves_the_contact_deadline(fb: Running) -> None:
    ticket_id = fb.peers.ticket("20260510-0009")
    lead = fb.peers.dispatched(ticket_id, "D-JXS", contact_within=timedelta(hours=-1))
    later = datetime.now(UTC) + timedelta(hours=2)
    fb.peers.clocks_resumed(ticket_id, lead, "D-JXS", contact_due=later)
    fb.peers.contacted(ticket_id, lead, "D-JXS")
    fb.peers.resolved(ticket_id, lead, "D-JXS")
    link = opened(fb.peers.wait_for("RatingRequested", ticket_id)[0])
    assert fb.rate(link, **FINE).status_code == 201
    assert fb.peers.wait_for("TicketRated", ticket_id)[0].contact_on_time is True


@pytest.mark.parametrize("verdict", [False, True])
def test_dispatch_decides_whether_the_contact_was_in_time(fb: Running, verdict: bool) -> None:
    """Dispatch knows what feedback's deadline arithmetic does not (a contact during a pause,
    after a breach): its verdict is what the response rate counts, either way."""
    ticket_id = fb.peers.ticket("20260510-0019" if verdict else "20260510-0018")
    within = timedelta(hours=-1) if verdict else timedelta(hours=24)
    lead = fb.peers.dispatched(ticket_id, "D-JXS", contact_within=within)
    fb.peers.contacted(ticket_id, lead, "D-JXS", on_time=verdict)
    fb.peers.contacted(ticket_id, lead, "D-JXS", on_time=not verdict)  # only the first counts
    fb.peers.resolved(ticket_id, lead, "D-JXS")
    link = opened(fb.peers.wait_for("RatingRequested", ticket_id)[0])
    assert fb.rate(link, **FINE).status_code == 201
    assert fb.peers.wait_for("TicketRated", ticket_id)[0].contact_on_time is verdict
    with fb.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT contact_on_time FROM ratings WHERE ticket_id = :t"), {"t": ticket_id}
        ).scalar_one()
    assert bool(stored) is verdict


def test_a_newer_invitation_supersedes_a_pending_one(fb: Running) -> None:
    ticket_id, older = fb.resolved("20260510-0004", "D-JXS")
    _, newer = fb.resolved("", "D-JXS", ticket_id=ticket_id, round_=2)
    stale = fb.rate(older, **FINE)
    assert stale.status_code == 410
    assert stale.json()["type"].endswith("feedback.link_superseded")
    assert fb.rate(newer, **FINE).status_code == 201


def test_a_consultation_answered_at_the_hotline_is_rated_without_a_department(
    fb: Running,
) -> None:
    ticket_id = fb.peers.ticket("20260510-0005", category="政策咨询")
    fb.peers.answered_directly(ticket_id)
    request = fb.peers.wait_for("RatingRequested", ticket_id)[0]
    assert (request.kind, request.department_code) == ("answered_directly", None)
    assert fb.rate(opened(request), **FINE).json() == {"outcome": "closed"}
    assert fb.peers.wait_for("TicketClosed", ticket_id)[0].reason == "answered_directly"


def test_an_agent_records_a_callback_that_uses_up_the_link(fb: Running) -> None:
    ticket_id, link = fb.resolved("20260510-0006", "U-WATER")
    url = f"/api/v1/tickets/{ticket_id}/callbacks"
    due = fb.client.get("/api/v1/callbacks/due", headers=fb.headers("agent1")).json()
    mine = [d for d in due if d["ticket_id"] == ticket_id]
    assert mine and mine[0]["attempts"] == 0 and "138" not in str(mine)

    missed = fb.client.post(
        url, json={"reached": False, "note": "无人接听"}, headers=fb.headers("agent1")
    )
    assert missed.status_code == 201 and missed.json()["outcome"] is None
    answers = {**FINE, "satisfaction": "basically_satisfied", "comment": "基本解决"}
    reached = fb.client.post(
        url, json={"reached": True, "answers": answers}, headers=fb.headers("agent2")
    )
    assert reached.status_code == 201, reached.text
    assert reached.json()["outcome"] == "closed"

    calls = fb.peers.wait_for("CallbackRecorded", ticket_id, count=2)
    assert [(c.reached, c.by) for c in calls] == [(False, "agent1"), (True, "agent2")]
    rated = fb.peers.wait_for("TicketRated", ticket_id)[0]
    assert (rated.via, rated.by, rated.satisfaction) == (
        "callback",
        "agent2",
        "basically_satisfied",
    )
    assert fb.peers.wait_for("TicketClosed", ticket_id)[0].by == "agent2"
    assert fb.rate(link, **FINE).status_code == 409  # the citizen's link is used up


def test_an_unanswered_invitation_expires_and_closes_the_ticket(fb: Running) -> None:
    ticket_id, link = fb.resolved("20260510-0007", "D-JXS")
    past = datetime.now(UTC) - timedelta(minutes=1)
    with fb.engine.begin() as conn:
        conn.execute(
            update(invitations).where(invitations.c.ticket_id == ticket_id).values(expires_at=past)
        )
    # Closed by the expiry sweep, a timed loop of its own: polled for, not drained.
    closed = eventually(lambda: fb.peers.wait_for("TicketClosed", ticket_id))[0]
    assert closed.reason == "no_response"
    late = fb.rate(link, **FINE)
    assert late.status_code == 410
    assert late.json()["type"].endswith("feedback.link_expired")
    no_callback = fb.client.post(
        f"/api/v1/tickets/{ticket_id}/callbacks",
        json={"reached": True, "answers": FINE},
        headers=fb.headers("agent1"),
    )
    assert no_callback.status_code == 409


def test_metrics_count_ratings_by_department_and_answer(fb: Running) -> None:
    _, link = fb.resolved("20260510-0008", "D-ZGC", contact="none")
    assert fb.rate(link, contacted=False, solved=True, satisfaction="satisfied").status_code == 201

    def scraped() -> str:
        text = fb.client.get("/metrics").text
        return text if 'hotline_feedback_current_month_ratings{department="D-ZGC"}' in text else ""

    text = eventually(scraped, timeout=10)
    assert 'hotline_feedback_ratings_total{department="D-ZGC",via="link"}' in text
    assert (
        'hotline_feedback_answers_total{answer="false",department="D-ZGC",question="contacted"}'
        in text
    )
    assert 'hotline_feedback_current_month_rate_ratio{department="D-ZGC",rate="score"}' in text
    assert "138" not in [line.split("{")[0] for line in text.splitlines()]


def test_no_usable_rating_link_is_kept_in_the_database_nor_the_outbox(fb: Running) -> None:
    ticket_id, link = fb.resolved("20260510-0099", "D-JXS")
    _, token = link_parts(link)
    with fb.engine.connect() as conn:
        for table in metadata.sorted_tables:
            assert token not in repr(conn.execute(table.select()).all()), table.name
    request = fb.peers.wait_for("RatingRequested", ticket_id)[0]
    assert request.link == "" and token not in request.sealed_link

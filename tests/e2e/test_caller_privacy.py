"""The caller's number never leaves intake in any form, end to end through the real
processes: every event of a whole ticket's story (call → dispatch → resolution → rating)
is decoded and searched for anything derived from the number; the rating link crosses the
bus sealed; and an agent doing the callback (回访) reveals the number through intake,
which records it for the admin.

On the embedded profile only, to bound the suite's time: the events are the same on Kafka
(the bus contract tests hold both buses to one behaviour)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from proto.events import TOPICS
from proto.registry import decode
from services.common.bus.factory import make_bus
from services.common.settings import Settings
from services.intake.config import IntakeSettings
from services.intake.domain.model import caller_key
from tests.support.feedback import link_parts, opened
from tests.support.harness import PASSWORDS, Cluster, call_body, embedded_env, eventually

PHONE = "13812345678"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("caller-privacy")
    platform = Cluster(embedded_env(data_dir), data_dir)
    platform.start()
    yield platform
    platform.stop()


def _settings(cluster: Cluster) -> Settings:
    return Settings(data_dir=Path(cluster.env["HOTLINE_DATA_DIR"]))


def _all_events(cluster: Cluster, ticket_id: str) -> list[tuple[str, bytes, dict[str, Any]]]:
    """(type, raw message, decoded payload) of every event on every topic for the ticket."""
    bus = make_bus(_settings(cluster))
    reader = bus.subscribe(f"privacy-probe-{ticket_id}", list(TOPICS))
    found = []
    try:
        while records := reader.poll(0.5):
            for record in records:
                envelope, event = decode(record.value)
                if envelope.ticket_id == ticket_id:
                    found.append((envelope.type, record.value, event.model_dump(mode="json")))
    finally:
        reader.close()
    return found


def _resolved(cluster: Cluster) -> str:
    with cluster.client("intake", "agent1") as intake:
        response = intake.post("/api/v1/calls", json=call_body(caller_phone=PHONE))
    assert response.status_code == 201, response.text
    ticket_id = str(response.json()["id"])
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
            assert street.post(f"{url}/{action}", json=body).status_code == 200, action
    return ticket_id


def _derived_forms(cluster: Cluster) -> list[str]:
    """Whatever an attacker could match the number by: its digits (whole, the last four,
    the mask's halves) and its keyed hash under the configured secret."""
    secret = IntakeSettings().caller_key_secret
    full_hmac = hmac.new(secret.encode(), PHONE.encode(), hashlib.sha256).hexdigest()
    return [PHONE, PHONE[:3] + "****", caller_key(PHONE, secret), full_hmac[:16]]


def _carries_last_four(text: str) -> bool:
    """The last four digits standing alone: inside a timestamp's fraction or a random id
    they say nothing about the number."""
    return re.search(rf"(?<![0-9A-Za-z_-]){PHONE[-4:]}(?![0-9A-Za-z_-])", text) is not None


def test_no_event_of_a_whole_ticket_carries_anything_derived_from_the_number(
    cluster: Cluster,
) -> None:
    ticket_id = _resolved(cluster)
    events = eventually(
        lambda: (
            (found := _all_events(cluster, ticket_id))
            and "RatingRequested" in {t for t, _, _ in found}
            and found
        )
    )
    request = next(p for t, _, p in events if t == "RatingRequested")
    link = opened(_request_event(events))  # only with the key feedback and intake hold
    ticket, token = link_parts(link)
    assert ticket == ticket_id
    # The citizen rates: the rest of the story is told on the bus too.
    answer = {"token": token, "contacted": True, "solved": True, "satisfaction": "satisfied"}
    with httpx.Client(base_url=cluster.url("feedback")) as feedback:
        rated = feedback.post(f"/api/v1/tickets/{ticket_id}/ratings", json=answer)
    assert rated.status_code == 201, rated.text
    events = eventually(
        lambda: (
            (found := _all_events(cluster, ticket_id))
            and "TicketClosed" in {t for t, _, _ in found}
            and found
        )
    )
    types = [t for t, _, _ in events]
    assert {"TicketCreated", "AssignmentDispatched", "AssignmentResolved"} <= set(types)
    assert {"RatingRequested", "TicketRated", "TicketClosed"} <= set(types)
    created = next(p for t, _, p in events if t == "TicketCreated")
    assert created["has_phone"] is True and created["caller_ref"].startswith("cr_")
    assert created["caller_masked"] is None and created["caller_key"] is None
    for kind, raw, payload in events:
        text = raw.decode() + json.dumps(payload, ensure_ascii=False)
        for form in _derived_forms(cluster):
            assert form not in text, f"{kind} carries {form!r}"
        assert not _carries_last_four(text), f"{kind} carries the last four digits"
        assert token not in text, f"{kind} carries the rating link"
    assert request["link"] == "" and request["sealed_link"]


def _request_event(events: list[tuple[str, bytes, dict[str, Any]]]) -> Any:
    raw = next(r for t, r, _ in events if t == "RatingRequested")
    return decode(raw)[1]


def test_a_callback_agent_reveals_a_due_callback_and_the_admin_reads_it(cluster: Cluster) -> None:
    ticket_id = _resolved(cluster)
    with cluster.client("feedback", "agent2") as feedback:
        due = eventually(
            lambda: [
                d
                for d in feedback.get("/api/v1/callbacks/due").json()
                if d["ticket_id"] == ticket_id
            ]
        )
    assert PHONE[-4:] not in str(due)
    with cluster.client("intake", "agent2") as intake:
        # agent2 did not log the call: the "logged" reveal is refused (and recorded) ...
        call_id = _first_call(cluster, ticket_id)
        refused = intake.get(f"/api/v1/calls/{call_id}/phone")
        assert refused.status_code == 403
        # ... but the callback is due, so the number is theirs to dial.
        shown = intake.get(f"/api/v1/tickets/{ticket_id}/phone")
    assert shown.status_code == 200 and shown.json() == {"phone": PHONE}
    assert shown.headers["cache-control"] == "no-store"
    with cluster.client("intake", "admin") as admin:
        page = admin.get("/api/v1/phone-reveals", params={"limit": 10}).json()
        metrics = httpx.get(f"{cluster.url('intake')}/metrics").text
    mine = [
        (e["actor"], e["reason"], e["outcome"])
        for e in page["items"]
        if e["ticket_id"] == ticket_id
    ]
    assert mine == [("agent2", "callback", "revealed"), ("agent2", "logged", "refused")]
    assert 'hotline_phone_reveals_total{outcome="refused"}' in metrics


def _first_call(cluster: Cluster, ticket_id: str) -> str:
    with cluster.client("intake", "agent1") as intake:
        calls = intake.get("/api/v1/calls", params={"limit": 50}).json()
    return str(next(c["call_id"] for c in calls if c["ticket"]["id"] == ticket_id))


def test_reveal_then_call_from_the_callback_page_and_the_admins_audit_page(
    cluster: Cluster, browser: Any
) -> None:
    """In Chromium: the callback list links each ticket to intake's reveal page (no number
    on the list, no anonymous ticket); one click there shows the number to dial; the
    admin's page lists that reveal."""
    ticket_id = _resolved(cluster)
    with cluster.client("intake", "agent1") as intake:
        anonymous = intake.post("/api/v1/calls", json=call_body(caller_phone=None)).json()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = _signed_in(context, cluster, "agent2", "/callbacks")
    number = _number(cluster, ticket_id)
    row = page.locator("#due tbody tr", has_text=number)
    row.wait_for()
    assert PHONE[-4:] not in page.inner_text("#due")
    assert page.locator("#due tbody tr", has_text=anonymous["number"]).count() == 0
    with context.expect_page() as opening:
        row.get_by_role("link", name="查看号码并拨打").click()
    reveal = opening.value
    # The page shows "—" until its script has read the ticket.
    reveal.wait_for_function("(document.getElementById('number')?.textContent ?? '—') !== '—'")
    assert reveal.inner_text("#masked") == "138****5678"
    reveal.get_by_role("button", name="查看号码").click()
    dial = reveal.get_by_role("link", name=f"拨打 {PHONE}")
    assert dial.get_attribute("href") == f"tel:{PHONE}"
    context.close()

    admin = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    audit = _signed_in(admin, cluster, "admin", "/privacy", service="intake")
    entry = audit.locator("#audit tbody tr", has_text=ticket_id)
    assert "callback" in entry.first.inner_text() and "agent2" in entry.first.inner_text()
    admin.close()


def _number(cluster: Cluster, ticket_id: str) -> str:
    with cluster.client("intake", "agent1") as intake:
        return str(intake.get(f"/api/v1/tickets/{ticket_id}").json()["number"])


def _signed_in(
    context: Any, cluster: Cluster, username: str, path: str, service: str = "feedback"
) -> Any:
    page = context.new_page()
    page.goto(f"{cluster.url(service)}/login?next={path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORDS[username])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{path}*")
    return page

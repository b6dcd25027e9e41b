"""The dispatch suggestion on PostgreSQL: the review queue shows the category intake's
suggester read with the department it routes to now, accepting it sends the ticket there in
one click, a dispatch by hand elsewhere is recorded as overridden, and what cannot be
accepted is refused (409) with nothing written."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from proto.envelope import Envelope
from proto.tickets import CategorySuggestion
from services.common.auth import Principal, Role
from services.common.errors import Conflict
from services.common.messaging_tables import outbox_table
from services.common.settings import Settings
from services.dispatch.adapters.orm import metadata, suggestion_decisions
from services.dispatch.bootstrap import build
from services.dispatch.config import DispatchSettings
from services.dispatch.handlers import consumers, dispatcher
from services.dispatch.handlers.context import DispatchContext
from tests.support import peers
from tests.support.dispatch import envelope, ticket_created
from tests.support.harness import PASSWORDS

pytestmark = pytest.mark.peers

OUTBOX = outbox_table(metadata)
# 停水 in 朝阳: rule R-WATER sends it to the water company.
WATER = CategorySuggestion(
    category_code="020101", confidence=0.82, model_version=3, words=["停水", "没水"]
)
NOISE = CategorySuggestion(category_code="010101", confidence=0.4, model_version=None, words=[])


class Desk:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.deps: DispatchContext = client.app.state.deps  # type: ignore[attr-defined]
        self._tokens: dict[str, str] = {}

    def headers(self, user: str, lang: str = "zh-CN") -> dict[str, str]:
        if user not in self._tokens:
            form = {"username": user, "password": PASSWORDS[user]}
            token = self.client.post("/api/v1/auth/token", data=form).json()["access_token"]
            self._tokens[user] = token
        return {"Authorization": f"Bearer {self._tokens[user]}", "Accept-Language": lang}

    def post(
        self, user: str, path: str, body: Any = None, lang: str = "zh-CN", key: str = ""
    ) -> Any:
        headers = self.headers(user, lang) | {"Idempotency-Key": key or uuid.uuid4().hex}
        return self.client.post(path, json=body or {}, headers=headers)

    def queue(self) -> dict[str, Any]:
        answer = self.client.get("/api/v1/review-queue", headers=self.headers("dispatcher"))
        return {t["id"]: t for t in answer.json()}

    def waiting(self, **changes: Any) -> str:
        """A ticket intake asked a dispatcher to look at, as the consumer handles it."""
        event = ticket_created(review="citizen_unsure", **changes)
        env = envelope(event)
        with self.deps.uow() as u:
            consumers.on_ticket_created(self.deps, u, env, event)
            u.commit()
        return env.ticket_id

    def dispatched(self, ticket_id: str) -> list[Envelope]:
        with self.deps.uow() as u:
            rows = u.session.execute(select(OUTBOX.c.payload).order_by(OUTBOX.c.id)).scalars()
            found = [Envelope.model_validate_json(raw) for raw in rows]
        return [e for e in found if e.ticket_id == ticket_id and e.type == "AssignmentDispatched"]

    def decision(self, ticket_id: str) -> dict[str, Any] | None:
        table = suggestion_decisions
        with self.deps.uow() as u:
            row = u.session.execute(select(table).where(table.c.ticket_id == ticket_id)).first()
        return dict(row._mapping) if row else None

    def counted(self, outcome: str) -> float:
        for family in text_string_to_metric_families(self.client.get("/metrics").text):
            for sample in family.samples:
                if sample.name == "hotline_dispatch_suggestions_total" and sample.labels == {
                    "outcome": outcome
                }:
                    return sample.value
        raise AssertionError(f"no {outcome} series")


@pytest.fixture(scope="module")
def desk(postgres: peers.Peer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    name = f"dispatch_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("dispatch-suggest"),
        database_url=postgres.url.replace("{db}", name),
    )
    with TestClient(build(settings, DispatchSettings(scheduler=False))) as client:
        yield Desk(client)


def test_the_review_queue_shows_the_suggestion_with_the_department_it_routes_to(
    desk: Desk,
) -> None:
    routed = desk.waiting(suggestion=WATER)
    nowhere = desk.waiting(suggestion=NOISE, area_code=None, area_path=[])
    plain = desk.waiting()
    queue = desk.queue()
    assert queue[routed]["suggestion"] == {
        "category_code": "020101",
        "category_name": "停水",
        "confidence": 0.82,
        "model_version": 3,
        "words": ["停水", "没水"],
        "department_code": "U-WATER",
        "department_name": queue[routed]["suggestion"]["department_name"],
    }
    assert queue[routed]["suggestion"]["department_name"]
    # Without a place no rule nor territory sends a noise complaint anywhere.
    assert queue[nowhere]["suggestion"]["department_code"] is None
    assert queue[nowhere]["suggestion"]["model_version"] is None
    assert queue[plain]["suggestion"] is None


def test_accepting_the_suggestion_routes_the_ticket_and_records_it(desk: Desk) -> None:
    ticket = desk.waiting(suggestion=WATER)
    before = desk.counted("accepted")
    # Dispatchers only: not even the department the suggestion points at.
    for user in ("water", "chaoyang-jxs", "leader", "agent1"):
        refused = desk.post(user, f"/api/v1/tickets/{ticket}/accept-suggestion")
        assert refused.status_code == 403, user
    staff = desk.client.get("/api/v1/review-queue", headers=desk.headers("water"))
    assert staff.status_code == 403
    key = uuid.uuid4().hex
    answer = desk.post("dispatcher", f"/api/v1/tickets/{ticket}/accept-suggestion", key=key)
    assert answer.status_code == 201, answer.text
    # A retry with the same key gets the first answer back and sends nothing again.
    retried = desk.post("dispatcher", f"/api/v1/tickets/{ticket}/accept-suggestion", key=key)
    assert (retried.status_code, retried.json()) == (201, answer.json())
    (lead,) = answer.json()
    assert (lead["department_code"], lead["rule"]) == ("U-WATER", "suggestion:rule:R-WATER")
    assert ticket not in desk.queue()
    (event,) = desk.dispatched(ticket)
    assert (event.payload["suggestion"], event.payload["dispatched_by"]) == (
        "accepted",
        "dispatcher",
    )
    decision = desk.decision(ticket)
    assert decision is not None
    assert {k: decision[k] for k in ("category_code", "department_code", "chosen_department")} == {
        "category_code": "020101",
        "department_code": "U-WATER",
        "chosen_department": "U-WATER",
    }
    assert (decision["outcome"], decision["by"]) == ("accepted", "dispatcher")
    assert desk.counted("accepted") == before + 1
    again = desk.post("dispatcher", f"/api/v1/tickets/{ticket}/accept-suggestion")
    assert again.status_code == 409
    assert desk.dispatched(ticket) == [event]


def test_a_dispatch_by_hand_elsewhere_is_overridden_and_to_the_same_place_accepted(
    desk: Desk,
) -> None:
    elsewhere, same = desk.waiting(suggestion=WATER), desk.waiting(suggestion=WATER)
    before = desk.counted("overridden"), desk.counted("accepted")
    for ticket, department in ((elsewhere, "D-JXS"), (same, "U-WATER")):
        sent = desk.post(
            "dispatcher", f"/api/v1/tickets/{ticket}/dispatch", {"department_code": department}
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()[0]["rule"] == "manual"
    assert desk.dispatched(elsewhere)[0].payload["suggestion"] == "overridden"
    assert desk.dispatched(same)[0].payload["suggestion"] == "accepted"
    decision = desk.decision(elsewhere)
    assert decision is not None
    assert (decision["department_code"], decision["chosen_department"]) == ("U-WATER", "D-JXS")
    assert (desk.counted("overridden"), desk.counted("accepted")) == (before[0] + 1, before[1] + 1)
    # Returned, the ticket is sent again by hand only: its suggestion was weighed once.
    (lead,) = desk.client.get(
        "/api/v1/assignments", params={"ticket_id": elsewhere}, headers=desk.headers("dispatcher")
    ).json()
    base = f"/api/v1/assignments/{lead['id']}"
    assert desk.post("chaoyang-jxs", f"{base}/acknowledge").is_success
    body = {"reason_code": "not_our_duty", "reason": "停水应由自来水公司处理"}
    assert desk.post("chaoyang-jxs", f"{base}/return", body).is_success
    refused = desk.post("dispatcher", f"/api/v1/tickets/{elsewhere}/accept-suggestion", lang="en")
    assert refused.status_code == 409
    assert "review queue" in refused.json()["detail"]
    again = desk.post(
        "dispatcher", f"/api/v1/tickets/{elsewhere}/dispatch", {"department_code": "U-WATER"}
    )
    assert again.status_code == 201, again.text
    assert desk.dispatched(elsewhere)[-1].payload["suggestion"] == ""
    assert desk.counted("overridden") == before[0] + 1


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({}, "carries no suggestion"),
        ({"suggestion": NOISE, "area_code": None, "area_path": []}, "dispatch it by hand"),
    ],
)
def test_what_cannot_be_accepted_is_refused_with_nothing_written(
    desk: Desk, changes: dict[str, Any], words: str
) -> None:
    ticket = desk.waiting(**changes)
    answer = desk.post("dispatcher", f"/api/v1/tickets/{ticket}/accept-suggestion", lang="en")
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert words in answer.json()["detail"]
    zh = desk.post("dispatcher", f"/api/v1/tickets/{ticket}/accept-suggestion")
    assert "请手动派单" in zh.json()["detail"]
    assert ticket in desk.queue() and desk.dispatched(ticket) == []
    assert desk.decision(ticket) is None
    missing = desk.post("dispatcher", "/api/v1/tickets/no-such-ticket/accept-suggestion")
    assert missing.status_code == 404


def test_two_dispatchers_at_once_send_a_ticket_once(desk: Desk) -> None:
    """The ticket's row is held while it is sent: the second finds it sent (a 409), and
    suggested versus final is recorded once."""
    ticket = desk.waiting(suggestion=WATER)
    user = Principal(username="dispatcher", name="张伟", role=Role.dispatcher)
    start = threading.Barrier(2)

    def accept() -> Any:
        start.wait()
        return dispatcher.accept_suggestion(desk.deps, user, ticket)

    def elsewhere() -> Any:
        start.wait()
        return dispatcher.dispatch_by_hand(desk.deps, user, ticket, "D-JXS", (), "")

    with ThreadPoolExecutor(2) as pool:
        tries = [pool.submit(accept), pool.submit(elsewhere)]
    failures = [t.exception() for t in tries if t.exception() is not None]
    assert len(failures) == 1 and isinstance(failures[0], Conflict), failures
    assert len(desk.dispatched(ticket)) == 1
    assert desk.decision(ticket) is not None

"""Dispatch on PostgreSQL: field photos on contacts and resolutions (carried in the events and
kept in the history, bad ids refused with nothing written), tickets' channel and intake's
frequent-caller cue on the review queue, and the schema its migrations build equal to the ORM."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from proto.envelope import Envelope
from services.common.messaging_tables import outbox_table
from services.common.settings import Settings
from services.dispatch.adapters.orm import metadata
from services.dispatch.bootstrap import build
from services.dispatch.config import DispatchSettings
from services.dispatch.handlers import consumers
from services.dispatch.handlers.context import DispatchContext
from tests.support import peers
from tests.support.dispatch import envelope, ticket_created
from tests.support.harness import PASSWORDS

pytestmark = pytest.mark.peers

BEFORE, AFTER, THIRD, FOURTH = (f"ph_{name}{'x' * 20}" for name in ("before", "after", "c", "d"))
OUTBOX = outbox_table(metadata)
WITH_PHOTOS = ("CitizenContacted", "AssignmentResolved")


class Desk:
    """The dispatch API as its users meet it, plus the service's own context."""

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

    def post(self, user: str, path: str, body: Any = None, lang: str = "zh-CN") -> Any:
        return self.client.post(path, json=body or {}, headers=self.headers(user, lang))

    def get(self, user: str, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.headers(user)).json()

    def new_ticket(self, **changes: Any) -> str:
        """A TicketCreated handled as the consumer would, in its own transaction."""
        event = ticket_created(**changes)
        env = envelope(event)
        with self.deps.uow() as u:
            consumers.on_ticket_created(self.deps, u, env, event)
            u.commit()
        return env.ticket_id

    def acknowledged_lead(self, **changes: Any) -> str:
        ticket = self.new_ticket(**changes)
        (lead,) = self.get("dispatcher", "/api/v1/assignments", ticket_id=ticket)
        assert self.post("chaoyang-jxs", f"/api/v1/assignments/{lead['id']}/acknowledge").is_success
        return str(lead["id"])

    def sent(self, ticket_id: str) -> list[Envelope]:
        with self.deps.uow() as u:
            rows = u.session.execute(select(OUTBOX.c.payload).order_by(OUTBOX.c.id)).scalars()
            envelopes = [Envelope.model_validate_json(raw) for raw in rows]
        return [e for e in envelopes if e.ticket_id == ticket_id]

    def outbox_size(self) -> int:
        with self.deps.uow() as u:
            return int(u.session.scalar(select(func.count()).select_from(OUTBOX)) or 0)


@pytest.fixture(scope="module")
def desk(postgres: peers.Peer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    name = f"dispatch_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("dispatch-pg"),
        database_url=postgres.url.replace("{db}", name),
    )
    with TestClient(build(settings, DispatchSettings(scheduler=False))) as client:
        yield Desk(client)


def test_the_migrated_schema_equals_the_tables_the_code_declares(desk: Desk) -> None:
    with desk.deps.uow() as u:
        conn = u.session.connection()
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_photos_of_a_contact_and_a_resolution_travel_in_the_events_and_the_history(
    desk: Desk,
) -> None:
    assignment = desk.acknowledged_lead()
    base = f"/api/v1/assignments/{assignment}"
    contacted = desk.post(
        "chaoyang-jxs", f"{base}/contact", {"note": "现场查看", "photos": [BEFORE]}
    )
    assert contacted.status_code == 200, contacted.text
    # A contact without photos, as before.
    assert desk.post("chaoyang-jxs", f"{base}/contact", {"note": "再次电话联系"}).is_success
    resolved = desk.post(
        "chaoyang-jxs", f"{base}/resolve", {"outcome": "已清理", "photos": [AFTER, THIRD]}
    )
    assert resolved.status_code == 200, resolved.text
    expected = [
        ("CitizenContacted", [BEFORE]),
        ("CitizenContacted", []),
        ("AssignmentResolved", [AFTER, THIRD]),
    ]
    history = resolved.json()["history"]
    assert [(h["type"], h["detail"]["photos"]) for h in history if h["type"] in WITH_PHOTOS] == (
        expected
    )
    events = desk.sent(resolved.json()["ticket_id"])
    assert [(e.type, e.payload["photos"]) for e in events if e.type in WITH_PHOTOS] == expected


@pytest.mark.parametrize(
    ("photos", "field", "code"),
    [
        (["../../etc/passwd"], "photos.0", "evidence_photo_id"),
        ([BEFORE, "https://example.com/x.jpg"], "photos.1", "evidence_photo_id"),
        ([BEFORE, AFTER, THIRD, FOURTH], "photos", "too_long"),
        ([BEFORE, BEFORE], "photos", "evidence_photos_repeated"),
        ("ph_notalistxxxxxxxxxxx", "photos", "list_type"),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_written(
    desk: Desk, photos: Any, field: str, code: str
) -> None:
    assignment = desk.acknowledged_lead()
    base = f"/api/v1/assignments/{assignment}"
    written = desk.outbox_size()
    for action, words in (("contact", {"note": "已联系"}), ("resolve", {"outcome": "已办结"})):
        answer = desk.post("chaoyang-jxs", f"{base}/{action}", words | {"photos": photos}, "en")
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        (error,) = answer.json()["errors"]
        assert (error["field"], error["code"]) == (field, code)
        assert error["message"] and "{" not in error["message"]
    zh = desk.post("chaoyang-jxs", f"{base}/contact", {"note": "已联系", "photos": photos})
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.json()["errors"][0]["message"])
    assert desk.outbox_size() == written
    detail = desk.get("chaoyang-jxs", base)
    assert detail["contacted_at"] is None and detail["status"] == "acknowledged"


def test_another_departments_assignment_stays_out_of_reach(desk: Desk) -> None:
    assignment = desk.acknowledged_lead()
    written = desk.outbox_size()
    for action, words in (("contact", {"note": "越权"}), ("resolve", {"outcome": "越权"})):
        path = f"/api/v1/assignments/{assignment}/{action}"
        answer = desk.post("haidian-zgc", path, words | {"photos": [BEFORE]})
        assert answer.status_code == 404, answer.text
    assert desk.outbox_size() == written


def test_the_review_queue_shows_the_channel_and_the_frequent_caller_cue(desk: Desk) -> None:
    often = desk.new_ticket(channel="web", review="citizen_unsure", frequent_caller=True)
    once = desk.new_ticket(channel="email", review="email")
    queue = {t["id"]: t for t in desk.get("dispatcher", "/api/v1/review-queue")}
    assert (queue[often]["channel"], queue[often]["frequent_caller"]) == ("web", True)
    assert (queue[once]["channel"], queue[once]["frequent_caller"]) == ("email", False)
    assert queue[often]["review_reason"] == "citizen_unsure"
    # Sent on by hand, the ticket is counted under its channel.
    before = _routed(desk, "manual", "web")
    sent = desk.post(
        "dispatcher", f"/api/v1/tickets/{often}/dispatch", {"department_code": "D-JXS"}
    )
    assert sent.status_code == 201, sent.text
    assert _routed(desk, "manual", "web") == before + 1


def test_routing_counts_every_channel_from_zero(desk: Desk) -> None:
    for channel in ("phone", "web", "app", "email"):
        assert _routed(desk, "rule", channel) >= 0  # the series exists before any ticket
    before = _routed(desk, "territory", "app")
    desk.new_ticket(channel="app")
    assert _routed(desk, "territory", "app") == before + 1


def _routed(desk: Desk, how: str, channel: str) -> float:
    text = desk.client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "hotline_dispatch_routed_total" and labels == {
                "how": how,
                "channel": channel,
            }:
                return float(sample.value)
    raise AssertionError(f"no routed series for {how}/{channel}: {json.dumps(text[:200])}")

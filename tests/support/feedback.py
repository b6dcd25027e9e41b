"""Plays intake's and dispatch's part for feedback's tests: publishes their events on the
real bus, and reads back what feedback published."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from proto.assignments import (
    AssignmentDispatched,
    AssignmentResolved,
    AssignmentReturned,
    CitizenContacted,
    ClocksResumed,
)
from proto.envelope import Envelope, Event
from proto.feedback import FEEDBACK, RatingRequested
from proto.registry import decode, encode
from proto.tickets import TicketAnsweredDirectly, TicketCreated
from services.common.bus import Bus, Message
from services.common.bus.factory import make_bus
from services.common.db import make_engine
from services.common.sealed_links import LinkSeal
from services.common.settings import Settings
from services.feedback.config import FeedbackSettings
from tests.support.harness import PASSWORDS, drain, driven, eventually

DEPARTMENTS = {
    "D-JXS": "朝阳区建外街道办事处",
    "D-ZGC": "海淀区中关村街道办事处",
    "U-WATER": "北京市自来水集团",
    "G-CY": "朝阳区人民政府",
}


def opened(request: RatingRequested) -> str:
    """The rating link a RatingRequested carries sealed, opened as intake opens it."""
    return LinkSeal(Settings().rating_link_keys).open(request.sealed_link)


def new_id() -> str:
    return uuid.uuid4().hex


class Peers:
    """Publishes events as intake and dispatch would, and follows hotline.feedback."""

    def __init__(self, bus: Bus, settle: Callable[[], None] | None = None) -> None:
        """`settle` drives in-process services until the bus is quiet; without it (services
        in processes of their own) the events are waited for."""
        self.bus = bus
        self.settle = settle
        self.publisher = bus.publisher()
        self.reader = bus.subscribe(f"test-{new_id()}", [FEEDBACK])
        self.seen: list[tuple[Envelope, Event]] = []

    def close(self) -> None:
        self.publisher.close()
        self.reader.close()

    def publish(self, event: Event, ticket_id: str, producer: str) -> None:
        envelope = Envelope.wrap(event, producer=producer, ticket_id=ticket_id)
        headers = {"type": envelope.type, "correlation_id": envelope.correlation_id}
        self.publisher.publish([Message(event.TOPIC, ticket_id, encode(envelope), headers)])

    def ticket(self, number: str, category: str = "噪音扰民") -> str:
        ticket_id = new_id()
        self.publish(
            TicketCreated(
                number=number,
                channel="phone",
                request_type="complaint",
                category_code="010101",
                category_path=["城乡建设", "市容环境", category],
                area_code=None,
                area_path=[],
                urgency="general",
                description="楼下夜间施工噪音扰民",
                caller_ref="cr_test-caller",
                has_phone=True,
                created_by="agent1",
                created_at=datetime.now(UTC),
            ),
            ticket_id,
            "intake",
        )
        return ticket_id

    def answered_directly(self, ticket_id: str) -> None:
        event = TicketAnsweredDirectly(
            answer="办理时间为工作日 9:00-17:00",
            knowledge_entry_id=None,
            answered_by="agent1",
            answered_at=datetime.now(UTC),
        )
        self.publish(event, ticket_id, "intake")

    def dispatched(
        self,
        ticket_id: str,
        department: str,
        *,
        role: str = "lead",
        round_: int = 1,
        contact_within: timedelta | None = timedelta(hours=24),
    ) -> str:
        assignment_id = new_id()
        now = datetime.now(UTC)
        deadlines = {"contact": now + contact_within} if contact_within else {}
        event = AssignmentDispatched.model_validate(
            {
                "assignment_id": assignment_id,
                "department_code": department,
                "department_name": DEPARTMENTS[department],
                "rule": "test",
                "dispatched_at": now,
                "role": role,
                "round": round_,
                "deadlines": deadlines,
            }
        )
        self.publish(event, ticket_id, "dispatch")
        return assignment_id

    def contacted(
        self, ticket_id: str, assignment_id: str, department: str, on_time: bool | None = None
    ) -> None:
        """`on_time` is dispatch's verdict; None sends an event from before it gave one."""
        event = CitizenContacted(
            assignment_id=assignment_id,
            department_code=department,
            note="电话联系了市民",
            by="staff",
            at=datetime.now(UTC),
            on_time=on_time,
        )
        self.publish(event, ticket_id, "dispatch")

    def clocks_resumed(
        self, ticket_id: str, assignment_id: str, department: str, contact_due: datetime
    ) -> None:
        event = ClocksResumed(
            assignment_id=assignment_id,
            department_code=department,
            deadlines={"contact": contact_due},
            by="staff",
            at=datetime.now(UTC),
        )
        self.publish(event, ticket_id, "dispatch")

    def returned(self, ticket_id: str, assignment_id: str, department: str) -> None:
        event = AssignmentReturned(
            assignment_id=assignment_id,
            department_code=department,
            reason_code="not_ours",
            reason="不属于本单位职责",
            by="staff",
            at=datetime.now(UTC),
        )
        self.publish(event, ticket_id, "dispatch")

    def resolved(
        self, ticket_id: str, assignment_id: str, department: str, role: str = "lead"
    ) -> None:
        now = datetime.now(UTC)
        event = AssignmentResolved.model_validate(
            {
                "assignment_id": assignment_id,
                "department_code": department,
                "department_name": DEPARTMENTS[department],
                "role": role,
                "outcome": "已协调施工单位停止夜间施工",
                "by": "staff",
                "at": now,
                "dispatched_at": now - timedelta(hours=5),
            }
        )
        self.publish(event, ticket_id, "dispatch")

    def feedback_events(self) -> list[tuple[Envelope, Event]]:
        """Everything feedback published so far (read once, kept)."""
        wait = 0.2
        if self.settle is not None:
            self.settle()
            wait = 0.05  # everything is on the bus already: an empty poll ends the read
        while records := self.reader.poll(wait):
            self.seen += [decode(record.value) for record in records]
        return self.seen

    def wait_for(self, type_: str, ticket_id: str, count: int = 1) -> list[Any]:
        """The first `count` events of `type_` feedback published for the ticket."""

        def found() -> list[Any]:
            events = [
                e
                for env, e in self.feedback_events()
                if env.type == type_ and env.ticket_id == ticket_id
            ]
            return events if len(events) >= count else []

        if self.settle is None:
            return list(eventually(found, timeout=20))[:count]
        events = found()
        assert events, f"no {count} {type_} for {ticket_id}; got {self.of_ticket(ticket_id)}"
        return events[:count]

    def of_ticket(self, ticket_id: str) -> list[str]:
        return [env.type for env, _ in self.feedback_events() if env.ticket_id == ticket_id]


def link_parts(link: str) -> tuple[str, str]:
    """(ticket id, token) of a rating link."""
    query = parse_qs(urlsplit(link).query)
    return query["ticket"][0], query["t"][0]


class MovableClock:
    """UTC now, or a fixed moment a test sets."""

    def __init__(self) -> None:
        self.fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed or datetime.now(UTC)


@dataclass
class Running:
    """The feedback service (real database, embedded bus) under a TestClient, and the
    peers that feed it."""

    client: TestClient
    peers: Peers
    engine: Engine
    clock: MovableClock
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, username: str, lang: str = "zh-CN") -> dict[str, str]:
        if username not in self.tokens:
            form = {"username": username, "password": PASSWORDS[username]}
            self.tokens[username] = self.client.post("/api/v1/auth/token", data=form).json()[
                "access_token"
            ]
        return {"Authorization": f"Bearer {self.tokens[username]}", "Accept-Language": lang}

    def resolved(
        self,
        number: str,
        department: str,
        *,
        contact: str = "in_time",
        co: str | None = None,
        ticket_id: str | None = None,
        round_: int = 1,
    ) -> tuple[str, str]:
        """A ticket its lead `department` resolved (after `co` resolved its part); contact
        is in_time, late or none. Returns (ticket id, rating link)."""
        ticket_id = ticket_id or self.peers.ticket(number)
        within = timedelta(hours=-1) if contact == "late" else timedelta(hours=24)
        lead = self.peers.dispatched(ticket_id, department, round_=round_, contact_within=within)
        if co is not None:
            helper = self.peers.dispatched(ticket_id, co, role="co", round_=round_)
            self.peers.contacted(ticket_id, helper, co)
            self.peers.resolved(ticket_id, helper, co, role="co")
        if contact != "none":
            self.peers.contacted(ticket_id, lead, department)
        self.peers.resolved(ticket_id, lead, department)
        requests = self.peers.wait_for("RatingRequested", ticket_id, count=round_)
        return ticket_id, opened(requests[-1])

    def rate(self, link: str, lang: str = "zh-CN", **answers: Any) -> Any:
        ticket_id, token = link_parts(link)
        body = {"token": token, **answers}
        return self.client.post(
            f"/api/v1/tickets/{ticket_id}/ratings", json=body, headers={"Accept-Language": lang}
        )

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@contextmanager
def running_feedback(data_dir: Path, database_url: str = "", **options: Any) -> Iterator[Running]:
    """Builds the service as production does (bootstrap.build), with a movable clock."""
    from services.feedback.bootstrap import build

    settings = Settings(data_dir=data_dir, database_url=database_url)
    clock = MovableClock()
    app = driven(build(settings, FeedbackSettings(**options), clock))
    peers = Peers(make_bus(settings), lambda: drain(app))
    engine = make_engine(settings.database_url_for("feedback"))
    try:
        with TestClient(app) as client:
            yield Running(client, peers, engine, clock)
    finally:
        peers.close()
        engine.dispose()

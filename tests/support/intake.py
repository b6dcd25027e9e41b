"""Helpers for intake's tests: a signed-in client per demo user, events fed through the
real bus, and what intake wrote to its outbox."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from proto.envelope import Envelope, Event
from proto.registry import encode
from services.common.bus import Message
from services.common.messaging_tables import outbox_table
from services.intake.adapters.orm import metadata
from tests.support.harness import PASSWORDS, call_body


class IntakeApi:
    """One TestClient; tokens are fetched once per user (signing in costs an argon2 hash)."""

    def __init__(self, client: TestClient):
        self.client = client
        self._tokens: dict[str, str] = {}

    def headers(self, user: str, lang: str = "zh-CN") -> dict[str, str]:
        if user not in self._tokens:
            form = {"username": user, "password": PASSWORDS[user]}
            self._tokens[user] = self.client.post("/api/v1/auth/token", data=form).json()[
                "access_token"
            ]
        return {"Authorization": f"Bearer {self._tokens[user]}", "Accept-Language": lang}

    def call(self, user: str = "agent1", lang: str = "zh-CN", **changes: Any) -> httpx.Response:
        return self.client.post(
            "/api/v1/calls", json=call_body(**changes), headers=self.headers(user, lang)
        )

    def get(self, path: str, user: str = "agent1", **params: Any) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.headers(user))

    def send(self, method: str, path: str, user: str = "admin", **kwargs: Any) -> httpx.Response:
        return self.client.request(method, path, headers=self.headers(user), **kwargs)


def app_of(client: TestClient) -> FastAPI:
    app = client.app
    assert isinstance(app, FastAPI)
    return app


def publish(client: TestClient, event: Event, ticket_id: str, producer: str) -> Envelope:
    """Puts an event on the service's bus as its producer would."""
    envelope = Envelope.wrap(event, producer=producer, ticket_id=ticket_id)
    message = Message(event.TOPIC, ticket_id, encode(envelope), {"type": envelope.type})
    publisher = app_of(client).state.platform.bus.publisher()
    publisher.publish([message])
    publisher.close()
    return envelope


def outbox(client: TestClient, ticket_id: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(type, payload) of every event intake wrote, oldest first."""
    table = outbox_table(metadata)
    query = select(table.c.payload).order_by(table.c.id)
    if ticket_id:
        query = query.where(table.c.key == ticket_id)
    with app_of(client).state.platform.engine.connect() as conn:
        rows = [json.loads(r.payload) for r in conn.execute(query)]
    return [(r["type"], r["payload"]) for r in rows]


def count(client: TestClient, table: str) -> int:
    with app_of(client).state.platform.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def dump(client: TestClient, table: str) -> str:
    """Every stored value of a table as one string, to look for what must not be there."""
    with app_of(client).state.platform.engine.connect() as conn:
        return repr(conn.execute(text(f"SELECT * FROM {table}")).all())

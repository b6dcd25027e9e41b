"""Two intake instances on one PostgreSQL database (as production runs them) receive the same
call with the same key at the same moment: one ticket, and the other answer is 409 or the
first answer replayed."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from services.common.settings import Settings
from services.intake.bootstrap import build
from tests.support import peers
from tests.support.harness import call_body
from tests.support.intake import IntakeApi

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def instances(
    postgres: peers.Peer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[IntakeApi, IntakeApi]]:
    name = f"intake_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    url = postgres.url.replace("{db}", name)
    one = Settings(data_dir=tmp_path_factory.mktemp("pg-one"), database_url=url)
    two = Settings(data_dir=tmp_path_factory.mktemp("pg-two"), database_url=url)
    with TestClient(build(one)) as first, TestClient(build(two)) as second:
        yield IntakeApi(first), IntakeApi(second)


def test_one_key_at_two_instances_at_once_is_one_ticket(
    instances: tuple[IntakeApi, IntakeApi],
) -> None:
    for api in instances:
        api.headers("agent1")  # sign in before the race
    rounds = 8
    with ThreadPoolExecutor(2) as pool:
        for n in range(rounds):
            words = f"同键并发 {n} {uuid.uuid4().hex[:6]}"
            answers = _race(pool, instances, words)
            fresh = [a for a in answers if a.status_code == 201 and _new(a)]
            others = [a for a in answers if a not in fresh]
            assert len(fresh) == 1, [a.text for a in answers]
            assert all(a.status_code == 409 or a.content == fresh[0].content for a in others)
            assert _tickets(instances[0], words) == [fresh[0].json()["id"]]


def _race(
    pool: ThreadPoolExecutor, instances: tuple[IntakeApi, IntakeApi], words: str
) -> list[httpx.Response]:
    key, start = str(uuid.uuid4()), threading.Barrier(2)

    def send(api: IntakeApi) -> httpx.Response:
        headers = api.headers("agent1") | {"Idempotency-Key": key}
        start.wait(10)
        return api.client.post("/api/v1/calls", json=call_body(description=words), headers=headers)

    return list(pool.map(send, instances))


def _new(answer: httpx.Response) -> bool:
    return "idempotent-replayed" not in answer.headers


def _tickets(api: IntakeApi, words: str) -> list[str]:
    rows = api.get("/api/v1/tickets", limit=200).json()
    return [row["id"] for row in rows if row["description"] == words]

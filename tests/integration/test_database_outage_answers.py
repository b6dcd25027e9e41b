"""A request that needs a database which is away gets 503 with Retry-After as a problem in
the caller's language, never a 500; once PostgreSQL is back the same requests succeed.

The PostgreSQL cluster is this module's own (the session-wide one must stay up for others),
stopped and started again in the middle of the test."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.common.problems import PROBLEM_MEDIA_TYPE, RETRY_AFTER_SECONDS
from services.common.settings import Settings
from services.intake.bootstrap import build
from tests.support import peers
from tests.support.harness import call_body, eventually


def _pg_ctl(server: peers.Peer, *args: str) -> None:
    sock = Path(server.extra["socket"])
    command = [str(peers.PGBIN / "pg_ctl"), "-D", str(sock.parent / "data"), "-w", *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(server: peers.Peer) -> None:
    _pg_ctl(server, "-m", "fast", "stop")


def _start(server: peers.Peer) -> None:
    sock = server.extra["socket"]
    options = f"-p {server.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    log = str(Path(sock).parent / "server.log")
    _pg_ctl(server, "-l", log, "-o", options, "start")


@pytest.fixture(scope="module")
def database() -> Iterator[peers.Peer]:
    server = peers.start_postgres(databases=("intake",))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def intake(database: peers.Peer, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("outage"), database_url=database.url.format(db="intake")
    )
    # No lifespan: only the request path is under test, not the relay or the consumers.
    client = TestClient(build(settings), raise_server_exceptions=False)
    form = {"username": "agent1", "password": "agent1pass"}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _assert_unavailable(client: TestClient, lang: str, text: str) -> None:
    headers = {"Accept-Language": lang}
    for response in (
        client.get("/api/v1/tickets", headers=headers),
        client.post("/api/v1/calls", json=call_body(), headers=headers),
    ):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        problem = response.json()
        assert problem["type"].endswith("/problems/unavailable.database")
        assert problem["status"] == 503
        assert text in problem["detail"], problem


def test_a_stopped_database_answers_503_with_retry_after_then_recovers(
    database: peers.Peer, intake: TestClient
) -> None:
    assert intake.get("/api/v1/tickets").status_code == 200
    assert intake.post("/api/v1/calls", json=call_body()).status_code == 201

    _stop(database)
    try:
        _assert_unavailable(intake, "zh-CN", "数据库暂时无法连接")
        _assert_unavailable(intake, "en", "The database cannot be reached")
    finally:
        _start(database)

    eventually(lambda: intake.get("/api/v1/tickets").status_code == 200, timeout=30)
    assert intake.post("/api/v1/calls", json=call_body()).status_code == 201

"""The four services start on the production profile with exactly the environment
docker-compose.yml gives each of them (deploy/.env filled in as deploy/.env.example asks),
sign in the example accounts of deploy/users.example.toml, and carry a call through.

No Docker engine runs here, so what only Docker provides is replaced, and nothing else:
the hosts `postgres`, `kafka` and `elasticsearch` by this machine's peers (PostgreSQL,
Tansu, osmem-server through the test-only node class), the mounted users file by its source
on this machine, the SMS gateway by an address nothing listens on (no text is sent here),
the data folder by a temporary one, and the ports by free ones on 127.0.0.1 (the image
listens on 0.0.0.0).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import peers
from tests.support.compose_env import compose, interpolate, service_env
from tests.support.harness import ROOT, SERVICES, call_body, eventually, free_base_port


def _users_file_source(container_path: str) -> Path:
    for mount in compose()["services"]["intake"]["volumes"]:
        source, target, *_ = interpolate(str(mount)).split(":")
        if target == container_path:
            return ROOT / source
    raise AssertionError(f"compose mounts nothing at {container_path}")


def _environment(
    service: str, base: int, data: Path, peer: dict[str, peers.Peer], prefix: str
) -> dict[str, str]:
    env = service_env(service)
    assert "{service}" in env["HOTLINE_DATABASE_URL"]
    replaced = {
        "HOTLINE_DATABASE_URL": peer["postgres"].url.replace("{db}", f"{prefix}_{{service}}"),
        "HOTLINE_KAFKA_BOOTSTRAP": peer["kafka"].url,
        "HOTLINE_ELASTICSEARCH_URL": peer["elasticsearch"].url,
        "HOTLINE_ELASTICSEARCH_INDEX": f"{prefix}-tickets",
        "HOTLINE_USERS_FILE": str(_users_file_source(env["HOTLINE_USERS_FILE"])),
    }
    if "HOTLINE_SMS_GATEWAY_URL" in env:
        replaced["HOTLINE_SMS_GATEWAY_URL"] = f"http://127.0.0.1:{peers.free_port()}/send"
    outer = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    return (
        outer
        | env
        | replaced
        | {
            "HOTLINE_BASE_PORT": str(base),
            "HOTLINE_DATA_DIR": str(data / service),
            "HOTLINE_ELASTICSEARCH_NODE_CLASS": "tests.support.es_compat.CompatNode",
            "PYTHONPATH": str(ROOT),
        }
    )


@pytest.fixture(scope="module")
def stack(
    postgres: peers.Peer,
    kafka_broker: peers.Peer,
    elasticsearch: peers.Peer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The four services as compose configures them; yields the base URL (intake's port)."""
    data = tmp_path_factory.mktemp("compose-stack")
    prefix = f"c{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, tuple(f"{prefix}_{s}" for s in SERVICES))
    peer = {"postgres": postgres, "kafka": kafka_broker, "elasticsearch": elasticsearch}
    base = free_base_port()
    procs = []
    for service in SERVICES:
        env = _environment(service, base, data, peer, prefix)
        assert env["HOTLINE_PROFILE"] == "production"
        log = (data / f"{service}.log").open("wb")
        command = [sys.executable, "-m", "services.cli", "serve", service]
        procs.append(
            subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        )
    try:
        for index, service in enumerate(SERVICES):
            _wait_ready(procs[index], f"http://127.0.0.1:{base + index}", data / f"{service}.log")
        yield f"http://127.0.0.1:{base}"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(20)


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    def ready() -> bool:
        assert proc.poll() is None, f"exited: {log.read_text(errors='replace')[-2000:]}"
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200

    eventually(ready, timeout=90, every=0.5)


def _client(base: str, offset: int, username: str, password: str) -> httpx.Client:
    url = base.rsplit(":", 1)[0] + f":{int(base.rsplit(':', 1)[1]) + offset}"
    form = {"username": username, "password": password}
    response = httpx.post(f"{url}/api/v1/auth/token", data=form, timeout=10)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_the_services_start_as_compose_configures_them_and_carry_a_call(stack: str) -> None:
    with _client(stack, SERVICES.index("intake"), "agent", "example-agent-password") as intake:
        created = intake.post("/api/v1/calls", json=call_body())
        assert created.status_code == 201, created.text
        ticket = created.json()["id"]
    dispatch = SERVICES.index("dispatch")
    with _client(stack, dispatch, "dispatcher", "example-dispatcher-password") as desk:
        eventually(lambda: desk.get("/api/v1/assignments", params={"ticket_id": ticket}).json(), 60)

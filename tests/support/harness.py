"""Runs the platform as real processes (`hotline serve NAME`), as production does, on any
profile: embedded files, or PostgreSQL + Kafka + Elasticsearch by settings alone."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from services.common.workers import Worker
from tests.support import peers

SERVICES = ("intake", "dispatch", "feedback", "search")
ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {
    "agent1": "agent1pass",
    "agent2": "agent2pass",
    "dispatcher": "dispatcherpass",
    "leader": "leaderpass",
    "admin": "adminpass",
    "chaoyang-jxs": "deptpass",
    "haidian-zgc": "deptpass",
    "water": "deptpass",
}


def free_base_port(count: int = len(SERVICES)) -> int:
    """A run of `count` consecutive free ports, since services listen at base + index.

    Drawn below the kernel's ephemeral range (32768+): ports there are also handed out as
    the local end of outgoing connections, which could take a port between the check here
    and the service binding it.
    """
    for _ in range(200):
        base = random.randrange(20000, 32000, count)
        if all(_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no run of free ports")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def embedded_env(data_dir: Path) -> dict[str, str]:
    return {"HOTLINE_DATA_DIR": str(data_dir)}


def full_env(
    data_dir: Path, postgres: peers.Peer, kafka: peers.Peer, es: peers.Peer
) -> dict[str, str]:
    """PostgreSQL + Kafka + Elasticsearch, fresh databases and index for this cluster."""
    prefix = f"h{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, tuple(f"{prefix}_{s}" for s in SERVICES))
    return {
        "HOTLINE_DATA_DIR": str(data_dir),
        "HOTLINE_DATABASE_URL": postgres.url.replace("{db}", f"{prefix}_{{service}}"),
        "HOTLINE_BUS": "kafka",
        "HOTLINE_KAFKA_BOOTSTRAP": kafka.url,
        "HOTLINE_SEARCH_BACKEND": "elasticsearch",
        "HOTLINE_ELASTICSEARCH_URL": es.url,
        "HOTLINE_ELASTICSEARCH_INDEX": f"{prefix}-tickets",
        "HOTLINE_ELASTICSEARCH_NODE_CLASS": "tests.support.es_compat.CompatNode",
    }


class Cluster:
    def __init__(self, env: dict[str, str], log_dir: Path):
        self.base_port = free_base_port()
        self.env = {
            **os.environ,
            **env,
            "HOTLINE_BASE_PORT": str(self.base_port),
            "PYTHONPATH": str(ROOT),
        }
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._tokens: dict[str, str] = {}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.base_port + SERVICES.index(service)}"

    def start(self, *services: str) -> None:
        for service in services or SERVICES:
            log = (self.log_dir / f"{service}.log").open("ab")
            self.procs[service] = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "serve", service],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for service in services or SERVICES:
            self.wait_ready(service)

    def wait_ready(self, service: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs[service].poll() is not None:
                raise RuntimeError(f"{service} exited: see {self.log_dir / service}.log")
            try:
                if httpx.get(f"{self.url(service)}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{service} not up after {timeout}s")

    def kill(self, service: str) -> None:
        """kill -9: no graceful shutdown, whatever was in flight is lost in the process."""
        proc = self.procs.pop(service)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def token(self, username: str) -> str:
        if username not in self._tokens:
            response = httpx.post(
                f"{self.url('intake')}/api/v1/auth/token",
                data={"username": username, "password": PASSWORDS[username]},
            )
            response.raise_for_status()
            self._tokens[username] = response.json()["access_token"]
        return self._tokens[username]

    def client(self, service: str, username: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url(service),
            headers={"Authorization": f"Bearer {self.token(username)}"},
            timeout=10,
        )


def eventually(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.1) -> Any:
    """Polls `check` until it returns something truthy; fails with the last value/error."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (AssertionError, httpx.HTTPError, KeyError) as exc:
            last = exc
        time.sleep(every)
    raise AssertionError(f"not true after {timeout}s; last: {last!r}")


def _bus_workers(app: FastAPI) -> list[Worker]:
    return [w for w in app.state.platform.workers if w.settle is not None]


def driven(app: FastAPI) -> FastAPI:
    """The app with its relay and consumers stepped only by `drain`, not by threads of
    their own: a test then decides when events travel. Its other loops still run."""
    for worker in _bus_workers(app):
        worker.hold()
    return app


def drain(*apps: FastAPI, timeout: float = 30.0) -> None:
    """Drives the in-process services' relays and consumers until the bus is quiet: a
    round where no relay sent anything and every consumer holds its partitions with
    nothing after its committed position. Where the services' own loops also run (not
    `driven`), two such rounds in a row, the second catching what they did during the
    first. Services in processes of their own can only be polled (`eventually`)."""
    workers = [w for app in apps for w in _bus_workers(app)]
    rounds = 2 if any(w.running for w in workers) else 1
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < rounds:
        busy: list[str] = []
        for worker in workers:
            try:
                if worker.settle_now():
                    busy.append(worker.name)
            except Exception as exc:  # e.g. a peer away: retried, like the loop does
                busy.append(f"{worker.name}: {exc!r}")
        quiet = 0 if busy else quiet + 1
        if busy and time.monotonic() > deadline:
            raise AssertionError(f"bus not quiet after {timeout}s: {busy}")


def call_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "channel": "phone",
        "request_type": "complaint",
        "category_code": "010101",
        "area_code": "110105001001",
        "urgency": "general",
        "description": "永安里小区夜间施工噪音扰民，严重影响休息",
        "caller_phone": "13812345678",
    }
    body.update(overrides)
    return body

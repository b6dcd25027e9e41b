"""A real Prometheus scrapes the platform started by the run command (`hotline up`) while
calls flow; PromQL for calls per second and SLA compliance gives the expected answers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import peers
from tests.support.harness import PASSWORDS, ROOT, SERVICES, call_body, eventually, free_base_port

CALLS = 12
DONE = 'sum(hotline_dispatch_clocks_completed_total{clock="acknowledge", department="D-JXS"})'


class Platform:
    def __init__(self, base_port: int):
        self.base_port = base_port

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.base_port + SERVICES.index(service)}"

    def client(self, service: str, username: str) -> httpx.Client:
        form = {"username": username, "password": PASSWORDS[username]}
        token = httpx.post(f"{self.url(service)}/api/v1/auth/token", data=form).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        return httpx.Client(base_url=self.url(service), headers=headers, timeout=10)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data = tmp_path_factory.mktemp("live")
    base = free_base_port()
    env = {**os.environ, "HOTLINE_DATA_DIR": str(data), "HOTLINE_BASE_PORT": str(base)}
    log = (data / "up.log").open("wb")
    up = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    running = Platform(base)
    try:
        eventually(lambda: httpx.get(f"{running.url('search')}/readyz").status_code == 200, 90)
        yield running
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(30)


def _prometheus_config(platform: Platform, folder: Path) -> Path:
    rules = folder / "rules"
    shutil.copytree(ROOT / "deploy/prometheus/rules", rules)
    jobs = "\n".join(
        f"  - job_name: {service}\n"
        f"    static_configs: [{{ targets: ['{platform.url(service).removeprefix('http://')}'] }}]"
        for service in SERVICES
    )
    config = folder / "prometheus.yml"
    config.write_text(
        "global: { scrape_interval: 1s, evaluation_interval: 1s }\n"
        f"rule_files: ['{rules}/*.yml']\nscrape_configs:\n{jobs}\n",
        encoding="utf-8",
    )
    return config


@pytest.fixture(scope="module")
def prometheus(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("prometheus")
    port = peers.free_port()
    server = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={_prometheus_config(platform, folder)}",
            f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        eventually(
            lambda: _query(url, 'count(up{job=~"intake|dispatch|feedback|search"} == 1)') == [4.0],
            60,
        )
        yield url
    finally:
        server.terminate()
        server.wait(20)


def _query(url: str, promql: str) -> list[float]:
    response = httpx.get(f"{url}/api/v1/query", params={"query": promql})
    assert response.status_code == 200, response.text  # 503 while Prometheus starts
    answer: dict[str, Any] = response.json()
    return [float(r["value"][1]) for r in answer["data"]["result"]]


def acknowledge(client: httpx.Client, assignment: dict[str, Any]) -> None:
    assert client.post(f"/api/v1/assignments/{assignment['id']}/acknowledge").status_code == 200


def test_calls_per_second_and_sla_compliance(platform: Platform, prometheus: str) -> None:
    started = time.monotonic()
    accepted = 'sum(hotline_http_requests_total{job="intake", route="/api/v1/calls", status="201"})'
    with platform.client("intake", "agent1") as intake:
        assert intake.post("/api/v1/calls", json=call_body()).status_code == 201
        # rate() and increase() start from a series' first sample: let it be scraped once.
        eventually(lambda: _query(prometheus, accepted) == [1.0], 30)
        for _ in range(CALLS - 1):
            assert intake.post("/api/v1/calls", json=call_body()).status_code == 201
    with platform.client("dispatch", "chaoyang-jxs") as street:
        inbox = eventually(
            lambda: (
                len(street.get("/api/v1/assignments").json()) >= CALLS
                and street.get("/api/v1/assignments").json()
            )
        )
        first, *rest = inbox
        acknowledge(street, first)
        eventually(lambda: _query(prometheus, DONE) == [1.0], 30)
        for assignment in rest:
            acknowledge(street, assignment)
    elapsed = time.monotonic() - started

    assert eventually(lambda: _query(prometheus, accepted) == [float(CALLS)], 30)
    per_second = eventually(
        lambda: [
            v
            for v in _query(
                prometheus,
                'sum(rate(hotline_http_requests_total{job="intake", '
                'route="/api/v1/calls", status="201"}[1m]))',
            )
            if v > 0
        ],
        30,
    )
    assert 0 < per_second[0] <= CALLS / max(elapsed, 1.0) * 3

    compliance = 'hotline:sla_compliance:ratio_1h{clock="acknowledge", department="D-JXS"}'
    assert eventually(lambda: _query(prometheus, compliance) == [1.0], 30)
    assert eventually(lambda: _query(prometheus, DONE) == [float(CALLS)], 30)

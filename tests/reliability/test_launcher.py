"""`hotline up` as an operator meets it, on the embedded profile with real processes: a service
that dies is started again while calls keep being accepted, one `up` per data directory and
ports, nothing outlives a killed `up`, and Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.harness import PASSWORDS, ROOT, SERVICES, call_body, eventually, free_base_port

# Restarts within 5 s and stops within 10 s are promises: measured with the machine to itself.
pytestmark = pytest.mark.alone
START_TIMEOUT = 90.0  # four services starting together on a shared 2-core machine


def _running(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for its new parent to reap it has stopped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Up:
    """A `hotline up` process on its own data directory and ports."""

    def __init__(self, data_dir: Path, base_port: int | None = None, **settings: str) -> None:
        self.data_dir = data_dir
        self.base_port = base_port or free_base_port()
        self.settings = settings
        self.log_path = data_dir / f"up-{time.monotonic_ns()}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up"],
            env=self.env,
            cwd=ROOT,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOTLINE_DATA_DIR": str(self.data_dir),
            "HOTLINE_BASE_PORT": str(self.base_port),
            "PYTHONUNBUFFERED": "1",
            **self.settings,
        }

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.base_port + SERVICES.index(service)}"

    def ready(self, service: str) -> bool:
        try:
            return httpx.get(f"{self.url(service)}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:  # not an AssertionError: `eventually` retries those
                raise RuntimeError(f"`up` exited: {self.console()}")
            return all(self.ready(s) for s in SERVICES)

        eventually(ready, START_TIMEOUT, every=0.2)

    def children(self) -> dict[str, int]:
        """The running service processes of this `up`, by service."""
        found: dict[str, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                command = (stat.parent / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid and fields[0] != "Z" and b"serve" in command:
                found[command[command.index(b"serve") + 1].decode()] = int(stat.parent.name)
        return found

    def console(self) -> list[str]:
        """What `up` itself said (the services' JSON log lines left out)."""
        return [
            line
            for line in self.log_path.read_text(errors="replace").splitlines()
            if line.startswith("[hotline up]")
        ]

    def client(self, service: str, username: str) -> httpx.Client:
        form = {"username": username, "password": PASSWORDS[username]}
        token = httpx.post(f"{self.url(service)}/api/v1/auth/token", data=form).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        return httpx.Client(base_url=self.url(service), headers=headers, timeout=10)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)


def _second_up(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "up"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


class CallStream(threading.Thread):
    """Logs calls one after another until stopped; an answer other than 201, or none at all,
    counts as refused."""

    def __init__(self, up: Up) -> None:
        super().__init__(name="call-stream", daemon=True)
        self.client = up.client("intake", "agent1")
        self.accepted: list[str] = []
        self.refused: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        with self.client:
            while not self.done.is_set():
                try:
                    response = self.client.post("/api/v1/calls", json=call_body())
                except httpx.HTTPError as exc:
                    self.refused.append(repr(exc))
                    continue
                if response.status_code == 201:
                    self.accepted.append(response.json()["id"])
                else:
                    self.refused.append(f"{response.status_code} {response.text}")

    def stop(self) -> None:
        self.done.set()
        self.join(30)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    up = Up(tmp_path_factory.mktemp("up"))
    try:
        up.wait_ready()
        yield up
    finally:
        up.close()


def test_a_second_up_on_the_same_data_directory_is_refused_naming_the_first(
    platform: Up,
) -> None:
    before = platform.children()
    second = _second_up(platform.env | {"HOTLINE_BASE_PORT": str(free_base_port())})
    assert second.returncode == 1
    assert f"`hotline up` with PID {platform.proc.pid} holds" in second.stderr
    assert str(platform.data_dir) in second.stderr
    assert "Traceback" not in second.stderr + second.stdout
    assert platform.proc.poll() is None and platform.children() == before


def test_a_second_up_on_ports_already_taken_is_refused_naming_the_listener(
    platform: Up, tmp_path: Path
) -> None:
    second = _second_up(platform.env | {"HOTLINE_DATA_DIR": str(tmp_path)})
    assert second.returncode == 1
    intake = platform.children()["intake"]
    taken = f"Port {platform.base_port} (intake) on 127.0.0.1 is already taken by PID {intake} "
    assert taken in second.stderr
    assert "Traceback" not in second.stderr + second.stdout
    assert platform.proc.poll() is None


@pytest.mark.parametrize("service", ["dispatch", "feedback", "search"])
def test_a_killed_service_comes_back_while_calls_keep_being_accepted(
    platform: Up, service: str
) -> None:
    before = platform.children()
    stream = CallStream(platform)
    stream.start()
    try:
        eventually(lambda: len(stream.accepted) >= 5, 30)
        os.kill(before[service], signal.SIGKILL)
        eventually(lambda: before[service] != platform.children().get(service), 30)
        eventually(lambda: platform.ready(service), START_TIMEOUT)
        during = len(stream.accepted)
        eventually(lambda: len(stream.accepted) >= during + 5, 30)
    finally:
        stream.stop()
    assert stream.refused == []
    after = platform.children()
    assert {s: p for s, p in after.items() if s != service} == {
        s: p for s, p in before.items() if s != service
    }, "the other services kept running"
    said = platform.console()
    assert any(
        line.startswith(f"[hotline up] {service} stopped (killed by SIGKILL)") for line in said
    ), said
    assert f"[hotline up] {service} is serving again" in said
    _searchable(platform, stream.accepted[-1])


def _searchable(platform: Up, ticket_id: str) -> None:
    """The platform works end to end after the restart: the last call reaches search."""
    with platform.client("search", "dispatcher") as search:
        timeline = f"/api/v1/tickets/{ticket_id}/timeline"
        eventually(lambda: search.get(timeline).status_code == 200, 60, every=0.5)


def test_a_killed_intake_accepts_calls_again_within_five_seconds(platform: Up) -> None:
    with platform.client("intake", "agent1") as intake:
        assert intake.post("/api/v1/calls", json=call_body()).status_code == 201
        os.kill(platform.children()["intake"], signal.SIGKILL)
        killed = time.monotonic()

        def accepted() -> bool:
            try:
                return intake.post("/api/v1/calls", json=call_body()).status_code == 201
            except httpx.HTTPError:
                return False

        eventually(accepted, timeout=5.0, every=0.05)
    print(f"intake accepted calls again {time.monotonic() - killed:.2f} s after kill -9")
    assert set(platform.children()) == set(SERVICES)


def test_ctrl_c_stops_every_service_within_ten_seconds(platform: Up) -> None:
    children = platform.children()
    assert set(children) == set(SERVICES)
    platform.proc.send_signal(signal.SIGINT)
    asked = time.monotonic()
    eventually(
        lambda: platform.proc.poll() is not None and not any(map(_running, children.values())),
        timeout=10.0,
        every=0.1,
    )
    print(f"everything stopped {time.monotonic() - asked:.2f} s after SIGINT")
    assert platform.proc.returncode == 0
    assert platform.console()[-1] == "[hotline up] Hotline stopped."


def test_kill_9_of_up_leaves_no_service_running_and_a_new_up_starts(tmp_path: Path) -> None:
    first = Up(tmp_path)
    try:
        first.wait_ready()
        children = first.children()
        assert set(children) == set(SERVICES)
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)
        eventually(lambda: not any(map(_running, children.values())), timeout=5.0, every=0.1)
    finally:
        first.close()
    second = Up(tmp_path, first.base_port)
    try:
        second.wait_ready()
        assert set(second.children()) == set(SERVICES)
        assert "already" not in second.output()
    finally:
        second.close()
    assert second.proc.returncode == 0


def test_a_service_that_cannot_start_stops_up_with_exit_code_1(tmp_path: Path) -> None:
    broken = tmp_path / "users.toml"
    broken.write_text("[[users]]\nusername = \n", encoding="utf-8")  # every service refuses it
    up = Up(tmp_path, HOTLINE_USERS_FILE=str(broken))
    try:
        assert up.proc.wait(START_TIMEOUT) == 1
    finally:
        up.close()
    said = up.console()
    assert any(line.endswith("could not start; stopping everything") for line in said), said
    assert said[-1] == "[hotline up] Hotline stopped."
    assert "Hotline is running" not in up.output()

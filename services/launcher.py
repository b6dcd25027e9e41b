"""`hotline up`: runs the four services as child processes on one machine and keeps them running.

A service that dies is started again after a back-off while the others keep serving. One `up`
holds its data directory (an flock on a file with its PID), and its children die with it even
when it is killed with SIGKILL: each child asks Linux for a parent-death signal.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx
from rich.console import Console

from services.common.settings import PORTS, Settings

# A crash is usually a one-off: the first restart is at once (a quarter second), and only a
# service that keeps dying is left waiting longer.
FIRST_DELAY = 0.25
MAX_DELAY = 30.0
HEALTHY_RUN = 60.0  # a service that ran this long starts its back-off afresh when it dies
STOP_GRACE = 8.0  # SIGTERM, then SIGKILL after this: everything is gone within 10 s
TICK = 0.1
LOCK_FILE = "hotline-up.lock"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def restart_delay(failures: int) -> float:
    """Seconds to wait before starting a service that failed `failures` (>= 1) times in a row:
    0.25 s, doubling, at most 30 s."""
    return min(MAX_DELAY, FIRST_DELAY * 2 ** min(max(failures, 1) - 1, 16))


@dataclass
class Backoff:
    """One service's failures in a row; a run of a minute or more counts as healthy."""

    failures: int = 0

    def after_exit(self, ran_for: float) -> float:
        """The delay before the next start of a service that died after `ran_for` seconds."""
        if ran_for >= HEALTHY_RUN:
            self.failures = 0
        self.failures += 1
        return restart_delay(self.failures)


class Refused(Exception):
    """Another `up`, or another process, already holds what this `up` needs."""


# --- one `up` per data directory, on free ports --------------------------------------------


@contextlib.contextmanager
def data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Holds an exclusive flock on the data directory's lock file, which names our PID, for
    the duration; raises Refused naming the holder's PID if another process holds it. The
    kernel drops the lock when its holder dies, however it dies, so it is never stale."""
    path = data_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise Refused(
                f"Hotline is already running on {data_dir.resolve()}: `hotline up` with PID "
                f"{holder} holds {path.name}. Stop it first (Ctrl-C in its terminal, or "
                f"kill {holder})."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def check_ports(host: str, ports: dict[str, int]) -> None:
    """Raises Refused naming the process that listens on one of `ports`, if any does."""
    for service, port in ports.items():
        if not _bindable(host, port):
            raise Refused(
                f"Port {port} ({service}) on {host} is already taken by {_describe(port)}. "
                "Stop that process, or choose other ports with HOTLINE_BASE_PORT."
            )


def _bindable(host: str, port: int) -> bool:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn binds: connections of a killed process lingering in TIME_WAIT don't count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            return False
    return True


def _describe(port: int) -> str:
    pid = listener_pid(port)
    if pid is None:
        return "another process"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return f"PID {pid}"
    return f"PID {pid} ({command})"


def listener_pid(port: int) -> int | None:
    """The PID of a process listening on TCP `port` (Linux /proc; None if not visible)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in inodes for fd in fd_dir.iterdir()):
                return int(fd_dir.parent.name)
    return None


# --- children ------------------------------------------------------------------------------


def _die_with_parent() -> Callable[[], None]:
    """Runs in the child between fork and exec: SIGKILL it when `up` dies, however `up` dies
    (even by SIGKILL, which leaves `up` no chance to stop its children)."""
    parent = os.getpid()
    prctl = getattr(ctypes.CDLL(None), "prctl", None) if sys.platform == "linux" else None

    def arm() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # `up` died before the signal was armed
            os._exit(1)

    return arm


def _exit_reason(code: int) -> str:
    return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"


@dataclass
class Child:
    """One service process and its restart state."""

    service: str
    url: str
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float = 0.0
    ready: bool = False
    ever_ready: bool = False
    backoff: Backoff = field(default_factory=Backoff)

    def start(self, now: float, arm: Callable[[], None]) -> None:
        # A process group of its own: Ctrl-C in the terminal reaches `up` alone, which then
        # stops the services in order instead of seeing them die.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", self.service],
            process_group=0,
            preexec_fn=arm,
        )
        self.started_at, self.ready = now, False

    def probe(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    def send(self, signum: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signum)


class StopRequest:
    """SIGINT / SIGTERM ask `up` to stop; a second one asks it to stop without waiting."""

    def __init__(self) -> None:
        self.count = 0
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        self.count += 1


class Supervisor:
    """Starts the services, starts again any that dies, and stops them all."""

    def __init__(self, settings: Settings, say: Callable[[str, str], None]) -> None:
        self.children = [Child(s, settings.url_for(s)) for s in PORTS]
        self.say = say
        self.arm = _die_with_parent()
        self.starting = True  # until the platform is announced as running

    def start_all(self) -> None:
        for child in self.children:
            child.start(time.monotonic(), self.arm)

    def all_ready(self) -> bool:
        return all(c.ready for c in self.children)

    def tick(self) -> str | None:
        """One round of supervision; returns the name of a service that could not start at
        all (it died during the start, never ready: a set-up problem, not a crash)."""
        for child in self.children:
            now = time.monotonic()
            if child.proc is None:
                if now >= child.restart_at:
                    self.say(f"{child.service} starting again", "")
                    child.start(now, self.arm)
            elif (code := child.proc.poll()) is not None:
                if self.starting and not child.ever_ready:
                    return f"{child.service} ({_exit_reason(code)})"
                self._schedule_restart(child, code, now)
            elif not child.ready and child.probe():
                self._became_ready(child)
        return None

    def _schedule_restart(self, child: Child, code: int, now: float) -> None:
        ran_for = now - child.started_at
        delay = child.backoff.after_exit(ran_for)
        child.proc, child.restart_at = None, now + delay
        self.say(
            f"{child.service} stopped ({_exit_reason(code)}) after {ran_for:.0f} s; "
            f"starting it again in {delay:.0f} s; the other services keep serving",
            "red",
        )

    def _became_ready(self, child: Child) -> None:
        child.ready = True
        if child.ever_ready:
            self.say(f"{child.service} is serving again", "green")
        child.ever_ready = True

    def stop(self, stop: StopRequest) -> None:
        """SIGTERM to every service, SIGKILL to any still running after the grace period (or
        at once on a second Ctrl-C)."""
        asked = stop.count
        for child in self.children:
            child.send(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while any(c.proc and c.proc.poll() is None for c in self.children):
            if time.monotonic() >= deadline or stop.count > asked:
                for child in self.children:
                    child.send(signal.SIGKILL)
            time.sleep(TICK)


def run(settings: Settings, console: Console, wait: float, on_ready: Callable[[], None]) -> int:
    """`hotline up`: supervises the services until SIGINT/SIGTERM; returns the exit code."""

    def say(message: str, style: str) -> None:
        console.print(f"[hotline up] {message}", style=style, markup=False, soft_wrap=True)

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        with data_dir_lock(settings.data_dir):
            check_ports(settings.host, {s: settings.port(s) for s in PORTS})
            return _supervise(Supervisor(settings, say), wait, on_ready)
    except Refused as refused:
        Console(stderr=True).print(str(refused), style="red", markup=False, soft_wrap=True)
        return 1


def _supervise(supervisor: Supervisor, wait: float, on_ready: Callable[[], None]) -> int:
    stop = StopRequest()
    supervisor.start_all()
    deadline = time.monotonic() + wait
    code = 0
    try:
        while not stop.count:
            failed = supervisor.tick()
            if failed:
                supervisor.say(f"{failed} could not start; stopping everything", "red")
                code = 1
                break
            if supervisor.starting and (supervisor.all_ready() or time.monotonic() >= deadline):
                pending = [c.service for c in supervisor.children if not c.ready]
                if pending:
                    supervisor.say(f"not ready yet: {', '.join(pending)}", "yellow")
                on_ready()
                supervisor.starting = False
            time.sleep(TICK)
    finally:
        supervisor.stop(stop)
        supervisor.say("Hotline stopped.", "bold")
    return code

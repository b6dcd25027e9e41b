"""Prometheus config, recording and alert rules: promtool checks them and runs their unit
tests; every series a rule reads is one the code exposes or another rule records."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.deploy import PROMETHEUS, exposed_metrics, metric_names_in

RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
TEST_FILES = sorted((PROMETHEUS / "tests").glob("*.yml"))


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, check=False)


def test_the_scrape_config_is_valid() -> None:
    result = _promtool("check", "config", "--syntax-only", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rules_are_valid(path: Path) -> None:
    result = _promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_alerts_fire_and_stay_quiet_as_their_tests_say(path: Path) -> None:
    result = _promtool("test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def _rules() -> list[dict[str, str]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
    ]


def test_every_rule_reads_series_that_exist() -> None:
    recorded = {r["record"] for r in _rules() if "record" in r}
    known = exposed_metrics() | recorded
    for rule in _rules():
        missing = metric_names_in(rule["expr"]) - known
        name = rule.get("alert") or rule.get("record")
        assert not missing, f"{name} reads series no service exposes: {sorted(missing)}"


def test_every_rule_file_has_tests() -> None:
    tested = {
        Path(f).name
        for t in TEST_FILES
        for f in yaml.safe_load(t.read_text(encoding="utf-8"))["rule_files"]
    }
    assert tested == {p.name for p in RULE_FILES}

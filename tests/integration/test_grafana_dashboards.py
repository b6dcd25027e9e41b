"""Grafana provisioning and dashboards: every panel queries series the code exposes or a
recording rule records, through the provisioned data source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.deploy import PROMETHEUS, ROOT, exposed_metrics, metric_names_in

GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))


def _datasource_uid() -> str:
    config = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    (source,) = config["datasources"]
    assert source["url"] == "http://prometheus:9090"
    return str(source["uid"])


def _recorded() -> set[str]:
    return {
        rule["record"]
        for path in (PROMETHEUS / "rules").glob("*.yml")
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


def _panels(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["panels"])


def test_the_dashboard_provider_reads_the_folder_compose_mounts() -> None:
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/hotline.yml").read_text())
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    path = provider["providers"][0]["options"]["path"]
    assert f"./deploy/grafana/dashboards:{path}:ro" in compose
    assert {p.stem for p in DASHBOARDS} >= {"operators", "leaders-sla"}


def test_dashboards_have_unique_uids() -> None:
    uids = [json.loads(p.read_text(encoding="utf-8"))["uid"] for p in DASHBOARDS]
    assert len(uids) == len(set(uids))


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_panel_queries_series_that_exist(path: Path) -> None:
    known = exposed_metrics() | _recorded()
    uid = _datasource_uid()
    for panel in _panels(path):
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        for target in panel["targets"]:
            names = metric_names_in(target["expr"])
            missing = names - known
            assert names or "up{" in target["expr"], f"{panel['title']} reads no Hotline series"
            assert not missing, f"{path.name} · {panel['title']}: {sorted(missing)} not exposed"

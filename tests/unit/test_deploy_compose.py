"""The production stack, checked structurally (no Docker engine runs here): every image
pinned, every long-running container health-checked, state on volumes, and every service's
settings pointing at the right hosts and naming settings that exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from proto.events import TOPICS
from services.common.settings import PORTS, Settings
from services.common.settings_doc import SECTIONS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
PEERS = {"postgres", "kafka", "elasticsearch", "prometheus", "grafana", "proxy"}
ONE_SHOT = {"kafka-topics"}


def test_the_whole_stack_is_there() -> None:
    assert set(PORTS) | PEERS | ONE_SHOT == set(SERVICES)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_images_are_pinned(name: str) -> None:
    image = SERVICES[name]["image"]
    repository, _, tag = image.rpartition(":")
    assert repository and tag, f"{name}: image {image!r} has no tag"
    assert tag != "latest", f"{name}: image {image!r} is not pinned"
    assert re.search(r"\d", tag), f"{name}: tag {tag!r} names no version"


@pytest.mark.parametrize("name", sorted(set(SERVICES) - ONE_SHOT))
def test_long_running_containers_have_health_checks(name: str) -> None:
    check = SERVICES[name].get("healthcheck", {})
    assert check.get("test"), f"{name} has no health check"


@pytest.mark.parametrize("name", ["postgres", "kafka", "elasticsearch", "prometheus", "grafana"])
def test_state_lives_on_named_volumes(name: str) -> None:
    mounts = [m.split(":")[0] for m in SERVICES[name]["volumes"]]
    assert any(m in COMPOSE["volumes"] for m in mounts), f"{name} keeps no named volume"


@pytest.mark.parametrize("name", sorted(PORTS))
def test_services_point_at_the_right_hosts(name: str) -> None:
    env = SERVICES[name]["environment"]
    assert env["HOTLINE_PROFILE"] == "production"
    assert "@postgres:5432/hotline_{service}" in env["HOTLINE_DATABASE_URL"]
    assert env["HOTLINE_BUS"] == "kafka" and env["HOTLINE_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["HOTLINE_SEARCH_BACKEND"] == "elasticsearch"
    assert env["HOTLINE_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert env["HEALTH_PORT"] == str(Settings().port(name))
    assert SERVICES[name]["command"] == ["serve", name]
    depends = SERVICES[name]["depends_on"]
    assert {"postgres", "elasticsearch", "kafka-topics"} <= set(depends)


def _known_variables() -> set[str]:
    return {
        f"{cls.model_config.get('env_prefix', '')}{field}".upper()
        for _, cls in SECTIONS
        for field in cls.model_fields
    }


@pytest.mark.parametrize("name", sorted(PORTS))
def test_every_setting_named_exists(name: str) -> None:
    known = _known_variables()
    for variable in SERVICES[name]["environment"]:
        if variable.startswith("HOTLINE_"):
            assert variable in known, f"{name}: {variable} is no setting of any service"


def test_the_databases_and_topics_the_services_need_are_created() -> None:
    init = (ROOT / "deploy/postgres/init.sql").read_text(encoding="utf-8")
    for name in PORTS:
        assert f"CREATE DATABASE hotline_{name};" in init
    script = (ROOT / "deploy/kafka/create-topics.sh").read_text(encoding="utf-8")
    for topic in TOPICS:
        assert topic in script


def test_the_proxy_reaches_every_service_on_its_port() -> None:
    conf = (ROOT / "deploy/nginx/hotline.conf").read_text(encoding="utf-8")
    for name in PORTS:
        assert f"location /{name}/ {{ proxy_pass http://{name}:{Settings().port(name)}/;" in re.sub(
            r" +", " ", conf
        )
        assert SERVICES[name]["environment"]["HOTLINE_ROOT_PATH"] == f"/{name}"

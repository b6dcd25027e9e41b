"""The production stack, checked structurally (no Docker engine runs here): every image
pinned, every long-running container health-checked, state on volumes, and every service's
settings pointing at the right hosts and naming settings that exist."""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from proto.events import TOPICS
from services.common.auth import UserDirectory
from services.common.settings import HELD_BY, PORTS, Settings
from services.feedback.config import FeedbackSettings
from services.settings_doc import SECTIONS, service_settings
from tests.support.compose_env import compose_variables, env_example, interpolate, service_env

ROOT = Path(__file__).resolve().parents[3]
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


# --- the stack starts as shipped: compose, deploy/.env.example, the users file and the docs ---


def test_env_example_holds_exactly_what_compose_reads() -> None:
    example, read = env_example(), compose_variables()
    assert set(read) - set(example) == set(), "compose reads variables deploy/.env.example lacks"
    assert set(example) - set(read) == set(), "deploy/.env.example sets what compose never reads"
    assert {n for n, required in read.items() if required} >= {
        "POSTGRES_PASSWORD",
        "HOTLINE_JWT_SECRET",
        "HOTLINE_PHONE_KEYS",
        "HOTLINE_FEEDBACK_LINK_SECRET",
        "HOTLINE_SMS_GATEWAY",
    }


def test_every_compose_variable_is_documented() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for name in compose_variables():
        assert f"`{name}`" in operations, f"{name} is not explained in docs/operations.md"


def test_the_sms_gateway_is_chosen_in_env_example_and_reaches_intake() -> None:
    example = env_example()
    assert example["HOTLINE_SMS_GATEWAY"] == "http"
    assert {"HOTLINE_SMS_GATEWAY_URL", "HOTLINE_SMS_GATEWAY_TOKEN"} <= set(example)
    intake = SERVICES["intake"]["environment"]
    for name in ("HOTLINE_SMS_GATEWAY", "HOTLINE_SMS_GATEWAY_URL", "HOTLINE_SMS_GATEWAY_TOKEN"):
        assert f"${{{name}" in intake[name], f"intake does not take {name} from deploy/.env"


def _host_paths(name: str) -> list[str]:
    mounts = [str(m) for m in SERVICES[name].get("volumes", [])]
    sources = [interpolate(m).split(":")[0] for m in mounts]
    return [s for s in sources if s.startswith((".", "/"))]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_file_compose_mounts_exists(name: str) -> None:
    for source in _host_paths(name):
        assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"


def test_the_services_mount_the_example_users_until_told_otherwise() -> None:
    for name in PORTS:
        assert "./deploy/users.example.toml" in _host_paths(name)


def test_the_example_users_sign_in_with_their_documented_passwords() -> None:
    path = ROOT / "deploy" / "users.example.toml"
    text = path.read_text(encoding="utf-8")
    assert "EXAMPLE" in text and "replace" in text
    directory = UserDirectory.load(path)
    documented = re.findall(r"example password: (\S+)\n\[\[users\]\]\nusername = \"(\S+)\"", text)
    passwords = {username: password for password, username in documented}
    assert len(passwords) == len(tomllib.loads(text)["users"]) >= 5
    roles = set()
    for username, password in passwords.items():
        principal = directory.authenticate(username, password)
        assert principal is not None, f"{username}'s documented password does not sign in"
        roles.add(principal.role.value)
    assert roles == {"agent", "dispatcher", "dept_staff", "leader", "admin"}


@pytest.mark.parametrize("name", sorted(PORTS))
def test_each_service_starts_on_the_settings_compose_gives_it(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production profile's checks pass on the compose environment once every value of
    deploy/.env.example is filled in: nothing the services require is left out."""
    for variable in list(os.environ):
        if variable.startswith("HOTLINE_"):
            monkeypatch.delenv(variable)
    for variable, value in service_env(name).items():
        monkeypatch.setenv(variable, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    own = service_settings()[name](_env_file=None).checked_for(settings)  # type: ignore[call-arg]
    assert settings.profile == "production" and not settings.placeholders(name)
    assert not own.placeholders()
    if isinstance(own, FeedbackSettings):
        assert own.base_url(settings) == "http://localhost:8080/feedback"


def test_the_services_believe_forwarded_addresses_from_the_proxy_network_only() -> None:
    (edge,) = SERVICES["proxy"]["networks"]
    (subnet,) = (c["subnet"] for c in COMPOSE["networks"][edge]["ipam"]["config"])
    subnet = interpolate(subnet)
    assert ipaddress.ip_network(subnet).is_private
    for name in PORTS:
        env = SERVICES[name]["environment"]
        assert interpolate(env["HOTLINE_TRUSTED_PROXIES"]) == subnet
        assert edge in SERVICES[name]["networks"]


@pytest.mark.parametrize("name", sorted(PORTS))
def test_a_service_gets_no_secret_it_does_not_hold(name: str) -> None:
    env = SERVICES[name]["environment"]
    own = {s: frozenset({c.service}) for c in service_settings().values() for s in c.secrets}
    for secret, holders in (HELD_BY | own).items():
        assert (secret in env) == (name in holders), f"{name} and {secret}"

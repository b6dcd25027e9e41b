"""SLA policies (time limits) in dispatch's database, through its API: seeded from sla.toml,
changed by admins at once or from a date, each change versioned and audited; the next
clock started takes the new limit while running clocks keep theirs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.common.db import make_engine, uow_factory
from services.common.messaging_tables import outbox_table
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.dispatch.adapters.calendar_data import calendars
from services.dispatch.adapters.directory import Directory
from services.dispatch.adapters.orm import metadata
from services.dispatch.adapters.seed import load_policies
from services.dispatch.adapters.unit_of_work import DispatchUnitOfWork
from services.dispatch.bootstrap import build
from services.dispatch.config import DispatchSettings
from services.dispatch.handlers import consumers
from services.dispatch.handlers.context import DispatchContext
from tests.support import peers
from tests.support.dispatch import envelope, ticket_created
from tests.support.harness import PASSWORDS, eventually

POLICIES = "/api/v1/sla-policies"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("sla"))
    app = build(settings, DispatchSettings(scheduler=False), now=clock)
    with TestClient(app) as test_client:
        yield test_client


def deps_of(client: TestClient) -> DispatchContext:
    deps: DispatchContext = client.app.state.deps  # type: ignore[attr-defined]
    return deps


_tokens: dict[str, str] = {}


def as_(client: TestClient, username: str, lang: str = "zh-CN") -> dict[str, str]:
    if username not in _tokens:
        form = {"username": username, "password": PASSWORDS[username]}
        _tokens[username] = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {_tokens[username]}", "Accept-Language": lang}


def new_ticket(client: TestClient, **changes: Any) -> dict[str, Any]:
    """Dispatches a ticket as the consumer would; returns its lead assignment."""
    event = ticket_created(**changes)
    env = envelope(event)
    deps = deps_of(client)
    with deps.uow() as u:
        consumers.on_ticket_created(deps, u, env, event)
        u.commit()
    found = client.get(
        "/api/v1/assignments", params={"ticket_id": env.ticket_id}, headers=as_(client, "admin")
    ).json()
    return dict(next(a for a in found if a["role"] == "lead"))


def due(assignment: dict[str, Any], clock: str) -> datetime:
    return datetime.fromisoformat(assignment["clocks"][clock]["due_at"])


def limits(acknowledge: float, contact: float, resolve: float, time: str) -> dict[str, Any]:
    return {
        "acknowledge": {"hours": acknowledge, "time": time},
        "contact": {"hours": contact, "time": time},
        "resolve": {"hours": resolve, "time": time},
        "warn_share": 0.8,
        "max_extension_hours": 63,
    }


def put(client: TestClient, path: str, body: Any, user: str = "admin", lang: str = "zh-CN") -> Any:
    headers = as_(client, user, lang) | {"Idempotency-Key": uuid.uuid4().hex}
    return client.put(path, json=body, headers=headers)


def policies(client: TestClient) -> dict[str, Any]:
    return dict(client.get(POLICIES, headers=as_(client, "dispatcher")).json())


def audits(client: TestClient) -> list[dict[str, Any]]:
    with deps_of(client).uow() as u:
        rows = u.session.scalars(select(outbox_table(metadata).c.payload))
        events = [json.loads(p) for p in rows]
    return [e["payload"] for e in events if e["type"] == "ConfigurationChanged"]


def test_the_file_seeds_the_policies_which_readers_see_and_others_may_not(
    client: TestClient,
) -> None:
    book = policies(client)
    general = next(p for p in book["policies"] if p["name"] == "general")
    assert general["resolve"] == {"hours": 63, "time": "working"}
    assert general["updated_by"] == "seed"
    assert {c["prefix"]: c["policy"] for c in book["categories"]} == {
        "0201": "utilities",
        "0202": "utilities",
    }
    assert client.get(POLICIES, headers=as_(client, "leader")).status_code == 200
    for outsider in ("agent1", "chaoyang-jxs"):
        assert client.get(POLICIES, headers=as_(client, outsider)).status_code == 403
    [seeded] = client.get(f"{POLICIES}/changes", headers=as_(client, "leader")).json()
    assert (seeded["action"], seeded["version"]) == ("import", book["version"])


def test_a_changed_limit_is_used_by_the_next_clock_while_running_ones_keep_theirs(
    client: TestClient, clock: Clock
) -> None:
    before = new_ticket(client, number="2611300101")
    assert before["policy"] == "general"
    version = policies(client)["version"]
    answer = put(client, f"{POLICIES}/general", limits(6, 9, 72, "natural"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["acknowledge"] == {"hours": 6, "time": "natural"}
    after = new_ticket(client, number="2611300102")
    assert due(after, "acknowledge") == clock.now + timedelta(hours=6)
    assert due(after, "resolve") == clock.now + timedelta(hours=72)
    assert after["clocks"]["resolve"]["basis"] == "natural"
    # 4 working hours from Monday 09:00 Beijing, as when it was dispatched
    assert due(new_ticket_view(client, before), "acknowledge") == clock.now + timedelta(hours=4)
    [change] = client.get(f"{POLICIES}/changes?limit=1", headers=as_(client, "dispatcher")).json()
    assert (change["version"], change["key"], change["by"]) == (version + 1, "general", "admin")
    assert change["before"]["acknowledge"] == {"hours": 4, "time": "working"}
    assert change["after"]["acknowledge"] == {"hours": 6, "time": "natural"}
    audit = audits(client)[-1]
    assert (audit["kind"], audit["key"], audit["action"], audit["version"]) == (
        "sla_policy",
        "general",
        "change",
        version + 1,
    )
    assert audit["before"]["resolve"]["hours"] == 63 and audit["after"]["resolve"]["hours"] == 72


def new_ticket_view(client: TestClient, assignment: dict[str, Any]) -> dict[str, Any]:
    found = client.get(f"/api/v1/assignments/{assignment['id']}", headers=as_(client, "admin"))
    return dict(found.json())


def test_another_instance_reloads_the_policies_once_their_version_moved(
    client: TestClient,
) -> None:
    deps = deps_of(client)
    other = DispatchContext(
        deps.uow, Directory(), load_policies(), calendars(), policies_stored=True
    )
    with deps.uow() as u:
        assert other.policy_book(u).policies["general"].hours["resolve"] == 72
    put(client, f"{POLICIES}/general", limits(6, 9, 80, "natural"))
    with deps.uow() as u:
        assert other.policy_book(u).policies["general"].hours["resolve"] == 80


def test_categories_take_a_policy_of_their_own_the_most_specific_first(
    client: TestClient,
) -> None:
    assert put(client, f"{POLICIES}/categories/01", {"policy": "utilities"}).status_code == 200
    answer = put(client, f"{POLICIES}/categories/0101", {"policy": "complex"})
    assert answer.json()["policy"] == "complex"
    assert new_ticket(client, number="2611300103")["policy"] == "complex"
    assert new_ticket(client, number="2611300104", category_code="010201")["policy"] == "utilities"
    urgent = new_ticket(client, number="2611300105", urgency="urgent")
    assert urgent["policy"] == "urgent"  # the urgent class overrides any category
    headers = as_(client, "admin") | {"Idempotency-Key": uuid.uuid4().hex}
    assert client.delete(f"{POLICIES}/categories/0101", headers=headers).status_code == 204
    assert new_ticket(client, number="2611300106")["policy"] == "utilities"
    client.delete(f"{POLICIES}/categories/01", headers=as_(client, "admin"))
    assert new_ticket(client, number="2611300107")["policy"] == "general"
    kept = [(a["key"], a["action"]) for a in audits(client)[-4:]]
    assert kept == [
        ("category:01", "create"),
        ("category:0101", "create"),
        ("category:0101", "delete"),
        ("category:01", "delete"),
    ]


def test_a_category_may_take_a_policy_for_one_urgency_only(client: TestClient) -> None:
    """Category × urgency: complex tickets of 0101 take `utilities`, its other tickets keep
    the policy of their urgency; an urgent ticket takes `urgent` unless 0101 names one."""
    answer = put(
        client, f"{POLICIES}/categories/0101", {"policy": "utilities", "urgency": "complex"}
    )
    assert (answer.json()["urgency"], answer.json()["policy"]) == ("complex", "utilities")
    complex_one = new_ticket(client, number="2611300121", urgency="complex")
    assert complex_one["policy"] == "utilities"
    assert new_ticket(client, number="2611300122")["policy"] == "general"
    assert new_ticket(client, number="2611300123", urgency="urgent")["policy"] == "urgent"
    put(client, f"{POLICIES}/categories/0101", {"policy": "complex", "urgency": "urgent"})
    assert new_ticket(client, number="2611300124", urgency="urgent")["policy"] == "complex"
    listed = client.get(POLICIES, headers=as_(client, "dispatcher")).json()["categories"]
    assert {(m["prefix"], m["urgency"], m["policy"]) for m in listed} >= {
        ("0101", "complex", "utilities"),
        ("0101", "urgent", "complex"),
    }
    for urgency in ("complex", "urgent"):
        headers = as_(client, "admin") | {"Idempotency-Key": uuid.uuid4().hex}
        gone = client.delete(f"{POLICIES}/categories/0101?urgency={urgency}", headers=headers)
        assert gone.status_code == 204
    assert new_ticket(client, number="2611300125", urgency="complex")["policy"] == "complex"
    keys = [a["key"] for a in audits(client)[-4:]]
    assert keys == ["category:0101:complex", "category:0101:urgent"] * 2


@pytest.mark.parametrize(
    ("path", "body", "field", "en"),
    [
        (
            "general",
            limits(6, 9, 72, "natural") | {"warn_share": 1.5},
            "warn_share",
            "less than 1",
        ),
        (
            "general",
            limits(6, 3, 72, "natural"),
            "contact.hours",
            "cannot be shorter than the step before",
        ),
        ("general", limits(6, 9, 72, "weekly"), "acknowledge.time", "one of"),
        ("general", limits(0, 9, 72, "natural"), "acknowledge.hours", "greater than 0"),
        ("Bad-Name", limits(6, 9, 72, "natural"), "path.name", ""),
        ("categories/9999", {"policy": "complex"}, "prefix", "not in the category catalogue"),
        ("categories/0101", {"policy": "nonesuch"}, "policy", "no time-limit policy"),
        (
            "general",
            limits(6, 9, 72, "natural") | {"effective_at": "2020-01-01T00:00:00+08:00"},
            "effective_at",
            "",
        ),
    ],
)
def test_bad_input_is_refused_in_both_languages_and_changes_nothing(
    client: TestClient, path: str, body: dict[str, Any], field: str, en: str
) -> None:
    version = policies(client)["version"]
    zh = put(client, f"{POLICIES}/{path}", body)
    assert zh.status_code == 422, zh.text
    assert zh.headers["content-type"].startswith("application/problem+json")
    problem = zh.json()
    assert field in [e["field"] for e in problem["errors"]]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problem["detail"] + str(problem["errors"]))
    english = put(client, f"{POLICIES}/{path}", body, lang="en").json()
    assert en in json.dumps(english["errors"])
    assert policies(client)["version"] == version


def test_only_admins_change_policies_and_an_unmapped_category_is_not_found(
    client: TestClient,
) -> None:
    for user in ("dispatcher", "leader", "chaoyang-jxs"):
        answer = put(client, f"{POLICIES}/general", limits(1, 2, 3, "natural"), user=user)
        assert answer.status_code == 403
    missing = client.delete(f"{POLICIES}/categories/0301", headers=as_(client, "admin", "en"))
    assert missing.status_code == 404 and "0301" in missing.json()["detail"]


def test_a_scheduled_change_waits_for_its_date_then_applies_and_can_be_cancelled(
    client: TestClient, clock: Clock
) -> None:
    at = clock.now + timedelta(hours=1)
    body = limits(2, 9, 24, "natural") | {"effective_at": at.isoformat()}
    answer = put(client, f"{POLICIES}/general", body)
    assert answer.status_code == 202, answer.text
    doomed = put(
        client, f"{POLICIES}/complex", limits(1, 2, 3, "natural") | {"effective_at": at.isoformat()}
    )
    pending = client.get(
        "/api/v1/scheduled-changes", params={"kind": "sla_policy"}, headers=as_(client, "leader")
    ).json()
    assert {p["key"] for p in pending} == {"general", "complex"}
    headers = as_(client, "admin") | {"Idempotency-Key": uuid.uuid4().hex}
    cancel = client.delete(f"/api/v1/scheduled-changes/{doomed.json()['id']}", headers=headers)
    assert cancel.status_code == 204
    waiting = new_ticket(client, number="2611300108")
    assert due(waiting, "acknowledge") == clock.now + timedelta(hours=6)  # not yet
    clock.now = at + timedelta(minutes=1)  # the scheduled-changes worker applies it now

    def applied() -> bool:
        found = client.get(
            "/api/v1/scheduled-changes", params={"kind": "sla_policy"}, headers=as_(client, "admin")
        ).json()
        return not found

    eventually(applied, timeout=10)
    assert due(new_ticket(client, number="2611300109"), "acknowledge") == clock.now + timedelta(
        hours=2
    )
    complex_ = next(p for p in policies(client)["policies"] if p["name"] == "complex")
    assert complex_["resolve"] == {"hours": 135, "time": "working"}
    done = audits(client)[-1]
    assert (done["key"], done["action"]) == ("general", "change")
    assert datetime.fromisoformat(done["effective_at"]) == at


def test_a_retried_change_is_answered_once_and_versions_the_policy_once(
    client: TestClient,
) -> None:
    version = policies(client)["version"]
    headers = as_(client, "admin") | {"Idempotency-Key": uuid.uuid4().hex}
    body = limits(6, 9, 90, "natural")
    first = client.put(f"{POLICIES}/general", json=body, headers=headers)
    again = client.put(f"{POLICIES}/general", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert policies(client)["version"] == version + 1


@pytest.mark.peers
def test_on_postgresql_the_migrated_store_seeds_once_and_numbers_each_change(
    postgres: peers.Peer,
) -> None:
    name = f"sla_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    url = postgres.url.replace("{db}", name)
    upgrade("dispatch", url)
    engine = make_engine(url)
    uows = uow_factory(engine, metadata, "dispatch", DispatchUnitOfWork)
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    try:
        with uows() as u:
            assert u.sla.seed(load_policies(), now)
            u.commit()
        with uows() as u:
            assert not u.sla.seed(load_policies(), now)  # a second instance finds them
            general = u.sla.book().policies["general"]
            stricter = replace(general, hours={**general.hours, "resolve": 45.0})
            u.sla.put_policy(stricter, "admin", now)
            change = {"subject": "policy", "key": "general", "action": "change"}
            after = u.sla.policy("general")
            version = u.sla.record(
                change
                | {"before": None, "after": after, "by": "admin", "at": now, "effective_at": None}
            )
            u.commit()
        with uows() as u:
            assert u.sla.version() == version == 2
            assert u.sla.book().choose("general", "010101").hours["resolve"] == 45.0
            assert u.sla.book().choose("general", "020101").name == "utilities"
            [latest, seeded] = u.sla.changes(10)
            assert (latest["version"], latest["after"]["resolve"]) == (
                2,
                {"hours": 45.0, "time": "working"},
            )
            assert seeded["action"] == "import"
    finally:
        engine.dispose()

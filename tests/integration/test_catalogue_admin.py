"""The catalogue's tree editor, on SQLite and PostgreSQL: a move gives new codes under the
new parent and keeps the old ones readable (so dispatch's prefix rules route new calls by
the new place), any two versions can be compared, changes may wait for their date, and
each change is an audit event written with it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from proto.tickets import TicketCreated
from services.common import scheduled
from services.common.settings import Settings
from services.dispatch.domain.routing import Rule
from services.dispatch.handlers.consumers import categories_in
from services.intake.bootstrap import build
from tests.support import peers
from tests.support.intake import IntakeApi, app_of, outbox

CATEGORIES = "/api/v1/categories"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peers)]
)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IntakeApi]:
    data_dir: Path = tmp_path_factory.mktemp("catalogue-admin")
    settings = Settings(data_dir=data_dir)
    if request.param == "postgresql":
        postgres: peers.Peer = request.getfixturevalue("postgres")
        name = f"catalogue_{uuid.uuid4().hex[:8]}"
        peers.create_databases(postgres, (name,))
        settings = Settings(data_dir=data_dir, database_url=postgres.url.replace("{db}", name))
    with TestClient(build(settings)) as client:
        yield IntakeApi(client)


def audited(api: IntakeApi) -> list[dict[str, Any]]:
    return [
        p for kind, p in outbox(api.client, "config:category") if kind == "ConfigurationChanged"
    ]


def version(api: IntakeApi) -> int:
    return int(api.get(f"{CATEGORIES}/tree").json()["version"])


def test_a_moved_leaf_keeps_old_tickets_readable_and_new_calls_route_by_its_new_place(
    api: IntakeApi,
) -> None:
    old = api.call(category_code="010106", description="小区门口露天烧烤油烟大").json()
    moved = api.send("POST", f"{CATEGORIES}/010106/move", json={"parent": "0701"})
    assert moved.status_code == 200, moved.text
    new = moved.json()
    assert new["code"].startswith("0701") and len(new["code"]) == 6
    assert new["path"] == ["生态环境", "大气污染", "露天烧烤"]
    assert new["initials"] == "ltsk"

    was = api.get(f"{CATEGORIES}/010106").json()
    assert (was["moved_to"], was["path"][-1]) == (new["code"], "露天烧烤")
    assert was["retired_in"] == version(api)
    ticket = api.get(f"/api/v1/tickets/{old['id']}").json()
    assert (ticket["category_code"], ticket["category_path"][1]) == ("010106", "市容环境")
    refused = api.call(category_code="010106", description="又有人烧烤")
    assert refused.status_code == 422
    assert api.get(CATEGORIES, q="ltsk").json()[0]["code"] == new["code"]

    logged = api.call(category_code=new["code"], description="夜市露天烧烤浓烟").json()
    [created] = [p for kind, p in outbox(api.client, logged["id"]) if kind == "TicketCreated"]
    event = TicketCreated.model_validate(created)
    # What dispatch learns and matches: the new code's prefixes name the new parents.
    assert categories_in(event) == {"07": "生态环境", "0701": "大气污染", new["code"]: "露天烧烤"}
    air = Rule("R-air", "D-EPB", category="0701")
    assert air.matches(event.category_code, None) and not air.matches("010106", None)

    [audit] = [a for a in audited(api) if a["action"] == "move"]
    assert (audit["key"], audit["before"]["code"], audit["after"]["code"]) == (
        "010106",
        "010106",
        new["code"],
    )
    assert audit["version"] == was["retired_in"] and audit["by"] == "admin"


def test_a_moved_branch_takes_its_leaves_along(api: IntakeApi) -> None:
    moved = api.send("POST", f"{CATEGORIES}/0207/move", json={"parent": "05"}).json()
    branch = moved["code"]
    tree = {c["code"]: c for c in api.get(f"{CATEGORIES}/tree").json()["categories"]}
    assert tree["020701"]["moved_to"] == f"{branch}01"
    assert tree[f"{branch}01"]["path"] == ["劳动保障", "邮政快递", tree["020701"]["name"]]
    assert tree[f"{branch}02"]["parent"] == branch
    assert api.send("POST", f"{CATEGORIES}/020701/restore").status_code == 409


def test_the_diff_between_two_versions_and_the_tree_as_of_a_version(api: IntakeApi) -> None:
    start = version(api)
    made = {"code": "010111", "name": "共享单车乱停", "parent": "0101", "keywords": ["单车"]}
    assert api.send("POST", CATEGORIES, json=made).status_code == 201
    assert api.send("PATCH", f"{CATEGORIES}/010102", json={"name": "垃圾清运收集"}).is_success
    moved = api.send("POST", f"{CATEGORIES}/010111/move", json={"parent": "0104"}).json()
    assert api.send("POST", f"{CATEGORIES}/010105/retire").is_success
    end = version(api)
    assert end == start + 4

    found = api.get(f"{CATEGORIES}/versions/{start}/diff/{end}", user="dispatcher").json()
    assert [c["code"] for c in found["added"]] == [moved["code"]]
    assert [(r["before"]["name"], r["after"]["name"]) for r in found["renamed"]] == [
        ("垃圾清运", "垃圾清运收集")
    ]
    assert found["moved"] == []  # 010111 did not exist at `start`: it is simply added
    assert [c["code"] for c in found["retired"]] == ["010105"]

    step = api.get(f"{CATEGORIES}/versions/{start + 1}/diff/{start + 3}").json()
    assert [(m["before"]["code"], m["after"]["code"]) for m in step["moved"]] == [
        ("010111", moved["code"])
    ]
    assert step["added"] == [] and step["renamed"][0]["after"]["code"] == "010102"

    then = {c["code"]: c for c in api.get(f"{CATEGORIES}/tree", version=start).json()["categories"]}
    assert "010111" not in then and then["010102"]["name"] == "垃圾清运"
    assert then["010105"]["retired_in"] is None
    now = api.get(f"{CATEGORIES}/tree").json()
    assert now["version"] == now["latest"] == end
    listed = api.get(f"{CATEGORIES}/versions", user="dispatcher", limit=4).json()
    assert [v["action"] for v in listed] == ["retire", "move", "change", "create"]


def test_a_scheduled_change_waits_for_its_date_and_is_applied_once_by_the_worker(
    api: IntakeApi,
) -> None:
    later = datetime.now(UTC) + timedelta(days=2)
    body = {"name": "文明养犬", "effective_at": later.isoformat()}
    kept = api.send("PATCH", f"{CATEGORIES}/010108", json=body)
    assert kept.status_code == 202, kept.text
    early_move = {"parent": "0103", "effective_at": (later - timedelta(days=1)).isoformat()}
    assert api.send("POST", f"{CATEGORIES}/010108/move", json=early_move).status_code == 202
    pending = api.get("/api/v1/scheduled-changes", user="dispatcher", kind="category").json()
    assert [p["payload"]["action"] for p in pending] == ["move", "change"]
    assert api.get(f"{CATEGORIES}/010108").json()["name"] == "公厕管理"
    before = version(api)

    assert run_due(api, later + timedelta(minutes=1)) == 2
    moved_to = api.get(f"{CATEGORIES}/010108").json()["moved_to"]
    assert moved_to.startswith("0103") and version(api) == before + 1
    # The rename was asked for the old code, which moved away meanwhile: it fails visibly.
    [failed] = api.get("/api/v1/scheduled-changes", kind="category", user="admin").json()
    assert failed["state"] == "failed" and "intake.category_moved" in failed["error"]
    assert run_due(api, later + timedelta(days=1)) == 0

    applied = [a for a in audited(api) if a["action"] == "move" and a["key"] == "010108"]
    assert [a["effective_at"][:16] for a in applied] == [early_move["effective_at"][:16]]
    schedules = [a for a in audited(api) if a["action"] == "schedule" and a["key"] == "010108"]
    assert len(schedules) == 2


def run_due(api: IntakeApi, now: datetime) -> int:
    """The intake worker's own step (its appliers as bootstrap registers them) at `now`."""
    [worker] = [
        w for w in app_of(api.client).state.platform.workers if w.name == "intake-scheduled-changes"
    ]
    step = worker.step
    assert isinstance(step, partial)
    uows, table, appliers = step.args[:3]
    return scheduled.apply_due(uows, table, appliers, lambda: now)


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("010101/move", {"parent": "0101"}, 422, "parent"),  # already there
        ("01/move", {"parent": "02"}, 422, "parent"),  # top level: nowhere to go
        ("010101/move", {"parent": "02"}, 422, "parent"),  # two levels up
        ("010101/move", {"parent": "0199"}, 422, "parent"),  # no such parent
        ("010101/move", {"parent": "010102"}, 422, "parent"),  # a leaf is no parent
        ("019999/move", {"parent": "0102"}, 404, None),
        (
            "010101/move",
            {"parent": "0102", "effective_at": "2020-01-01T00:00:00Z"},
            422,
            "effective_at",
        ),
    ],
)
def test_bad_moves_are_refused_with_the_reason(
    api: IntakeApi, path: str, body: dict[str, Any], status: int, field: str | None
) -> None:
    response = api.send("POST", f"{CATEGORIES}/{path}", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field:
        assert field in [e["field"] for e in response.json()["errors"]]


def test_refusals_speak_the_callers_language_and_only_admins_edit(api: IntakeApi) -> None:
    english = api.client.get(
        f"{CATEGORIES}/versions/3/diff/2", headers=api.headers("admin", lang="en")
    )
    assert english.status_code == 422
    assert english.json()["detail"] == "Version 3 must not be later than version 2"
    assert api.get(f"{CATEGORIES}/versions/1/diff/9999").status_code == 404
    assert api.get(f"{CATEGORIES}/tree", version=9999).status_code == 422
    assert api.send("POST", f"{CATEGORIES}/010107/retire").is_success
    retired = api.send("POST", f"{CATEGORIES}/010107/move", json={"parent": "0102"})
    assert retired.status_code == 409 and "停用" in retired.json()["detail"]
    for user in ("agent1", "dispatcher", "leader"):
        move = api.send("POST", f"{CATEGORIES}/010101/move", user=user, json={"parent": "0102"})
        assert move.status_code == 403
    assert api.get(f"{CATEGORIES}/versions", user="agent1").status_code == 403
    assert api.get(f"{CATEGORIES}/010101").json()["parent"] == "0101"


def test_a_move_sent_twice_with_one_key_moves_once(api: IntakeApi) -> None:
    headers = api.headers("admin") | {"Idempotency-Key": str(uuid.uuid4())}
    path = f"{CATEGORIES}/010109/move"
    first = api.client.post(path, json={"parent": "0103"}, headers=headers)
    again = api.client.post(path, json={"parent": "0103"}, headers=headers)
    assert first.status_code == again.status_code == 200, first.text
    assert first.json() == again.json()
    assert [a["key"] for a in audited(api) if a["action"] == "move"].count("010109") == 1

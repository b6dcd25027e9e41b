"""The knowledge base as admins keep it: every save a version (who, when, a diff between any
two), validity dates that hide an entry from agents but not from admins, search by text,
category and validity, an audit event with each change, refusals in words, and a change
kept for a later date that applies when due."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.common import scheduled
from services.common.db import make_engine, uow_factory
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.intake.adapters.orm import metadata, scheduled_changes
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.bootstrap import build
from services.intake.handlers import knowledge
from tests.support import peers
from tests.support.intake import IntakeApi, app_of, outbox

NOW = datetime.now(UTC)


def _iso(at: datetime) -> str:
    return at.isoformat()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peers)]
)
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("knowledge-admin")
    settings = Settings(data_dir=data_dir)
    if request.param == "postgresql":
        postgres: peers.Peer = request.getfixturevalue("postgres")
        name = f"kb_{uuid.uuid4().hex[:8]}"
        peers.create_databases(postgres, (name,))
        settings = Settings(data_dir=data_dir, database_url=postgres.url.replace("{db}", name))
    with TestClient(build(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def api(client: TestClient) -> IntakeApi:
    return IntakeApi(client)


def _entry(**changes: Any) -> dict[str, Any]:
    return {
        "title": "居住证办理所需材料",
        "answer": "携带身份证、租房合同到社区服务站申请居住登记。",
        "keywords": ["居住证"],
        "categories": ["040107"],
    } | changes


def _create(api: IntakeApi, **changes: Any) -> dict[str, Any]:
    made = api.send("POST", "/api/v1/knowledge", json=_entry(**changes))
    assert made.status_code == 201, made.text
    return dict(made.json())


def _audited(client: TestClient, key: str) -> list[dict[str, Any]]:
    return [p for t, p in outbox(client, "config:knowledge") if p["key"] == key]


def test_every_save_is_a_version_and_two_versions_compare(
    api: IntakeApi, client: TestClient
) -> None:
    made = _create(api, title="暂住登记怎么办", keywords=["暂住"])
    assert made["version"] == 1 and made["offered"] is True
    path = f"/api/v1/knowledge/{made['id']}"
    changed = api.send(
        "PUT", path, json=_entry(title="暂住登记怎么办理", categories=["0401"], version=1)
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    retired = api.send("PUT", path, json=_entry(active=False, version=2))
    assert retired.json()["active"] is False and retired.json()["offered"] is False

    versions = api.get(f"{path}/versions", user="dispatcher").json()
    assert [(v["version"], v["action"], v["by"]) for v in versions] == [
        (1, "create", "admin"),
        (2, "change", "admin"),
        (3, "retire", "admin"),
    ]
    assert versions[1]["record"]["categories"] == ["0401"]
    diff = api.get(f"{path}/diff", **{"from": 1, "to": 2}).json()
    changes = {c["field"]: (c["before"], c["after"]) for c in diff["changes"]}
    assert changes["title"] == ("暂住登记怎么办", "暂住登记怎么办理")
    assert changes["categories"] == (["040107"], ["0401"])
    assert "answer" not in changes and diff["from"]["version"] == 1

    # Editing version 2 after version 3 was saved would undo it silently: refused.
    stale = api.send("PUT", path, json=_entry(version=2))
    assert stale.status_code == 409 and "第 3 版" in stale.json()["detail"]
    missing = api.get(f"{path}/diff", **{"from": 1, "to": 9})
    assert missing.status_code == 404
    assert api.get("/api/v1/knowledge/nope/versions").status_code == 404

    events = _audited(client, made["id"])
    assert [(e["action"], e["version"], e["by"]) for e in events] == [
        ("create", 1, "admin"),
        ("change", 2, "admin"),
        ("retire", 3, "admin"),
    ]
    assert events[0]["before"] is None and events[0]["after"]["title"] == "暂住登记怎么办"
    assert events[1]["before"]["title"] == "暂住登记怎么办" and events[1]["kind"] == "knowledge"


def test_validity_dates_hide_an_entry_from_agents_but_not_from_admins(api: IntakeApi) -> None:
    expired = _create(
        api,
        title="冬季供暖补贴申请",
        keywords=["供暖补贴"],
        valid_from=_iso(NOW - timedelta(days=60)),
        valid_until=_iso(NOW - timedelta(days=1)),
    )
    later = _create(
        api,
        title="明年供暖补贴申请",
        keywords=["供暖补贴"],
        valid_from=_iso(NOW + timedelta(days=30)),
    )
    current = _create(api, title="供暖补贴咨询电话", keywords=["供暖补贴"])
    hidden = {expired["id"], later["id"]}

    offered = api.get("/api/v1/knowledge", q="供暖补贴").json()
    assert current["id"] in [k["id"] for k in offered]
    assert not hidden & {k["id"] for k in offered}
    browsed = api.get("/api/v1/knowledge", mode="browse", q="供暖补贴", valid_now="false").json()
    assert [k["id"] for k in browsed] == [current["id"]]  # agents: valid ones whatever they ask

    everything = api.get("/api/v1/knowledge", user="admin", mode="browse", q="供暖补贴").json()
    assert {k["id"]: k["offered"] for k in everything} == {
        expired["id"]: False,
        later["id"]: False,
        current["id"]: True,
    }
    now_only = api.get(
        "/api/v1/knowledge", user="admin", mode="browse", q="供暖补贴", valid_now="true"
    ).json()
    assert [k["id"] for k in now_only] == [current["id"]]
    # An answered ticket may name it still: readable by id.
    assert api.get(f"/api/v1/knowledge/{expired['id']}").json()["offered"] is False


def test_search_by_text_in_the_answer_and_by_category_branch(api: IntakeApi) -> None:
    leaf = _create(
        api, title="公积金提取", answer="提取住房公积金需提供购房合同。", categories=["040102"]
    )
    branch = _create(
        api, title="社保转移", answer="跨省转移社保关系在新参保地申请。", categories=["04"]
    )
    other = _create(
        api, title="占道经营", answer="流动摊贩占道请拨城管热线。", categories=["010101"]
    )

    by_text = api.get("/api/v1/knowledge", user="admin", mode="browse", q="购房合同").json()
    assert [k["id"] for k in by_text] == [leaf["id"]]
    of_branch = api.get(
        "/api/v1/knowledge", user="admin", mode="browse", category_code="0401", limit=200
    ).json()
    ids = {k["id"] for k in of_branch}
    assert {leaf["id"], branch["id"]} <= ids and other["id"] not in ids
    # The console: a branch entry is about every leaf under it.
    console = api.get("/api/v1/knowledge", q="", category_code="040103", limit=50).json()
    assert branch["id"] in [k["id"] for k in console]
    assert other["id"] not in [k["id"] for k in console]


@pytest.mark.parametrize(
    ("body", "field", "zh", "en"),
    [
        (_entry(categories=["880101"]), "categories", "分类目录中没有", "no category 880101"),
        (
            _entry(valid_from=_iso(NOW), valid_until=_iso(NOW - timedelta(days=1))),
            "valid_until",
            "失效时间必须晚于生效时间",
            "must come after",
        ),
        (_entry(effective_at=_iso(NOW - timedelta(hours=1))), "effective_at", "", ""),
        (_entry(categories=["4-01"]), "categories.0", "", ""),
        (_entry(valid_from="2026-12-01T08:00:00"), "valid_from", "", ""),
        (_entry(valid_from="0001-01-01T00:00:00+01:00"), "valid_from", "不能小于", ""),
        (_entry(effective_at="9999-12-31T23:59:59-05:00"), "effective_at", "必须小于", ""),
    ],
    ids=[
        "unknown-category",
        "validity-order",
        "effective-past",
        "bad-code",
        "naive-date",
        "year-one",
        "year-9999",
    ],
)
def test_bad_input_is_refused_in_words_and_nothing_is_kept(
    api: IntakeApi, client: TestClient, body: dict[str, Any], field: str, zh: str, en: str
) -> None:
    before = len(outbox(client, "config:knowledge"))
    refused = api.send("POST", "/api/v1/knowledge", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    said = [problem["detail"], *(e["message"] for e in problem["errors"])]
    assert any(zh in text for text in said), said
    english = api.client.post(
        "/api/v1/knowledge", json=body, headers=api.headers("admin", lang="en")
    )
    in_english = english.json()
    assert any(en in text for text in [in_english["detail"], *in_english["errors"][0].values()])
    assert len(outbox(client, "config:knowledge")) == before


def test_only_admins_write_and_unknown_entries_are_404(api: IntakeApi) -> None:
    made = _create(api, title="只读条目")
    for user in ("agent1", "dispatcher", "leader", "chaoyang-jxs"):
        assert api.send("POST", "/api/v1/knowledge", user=user, json=_entry()).status_code == 403
        put = api.send("PUT", f"/api/v1/knowledge/{made['id']}", user=user, json=_entry())
        assert put.status_code == 403
    assert api.get(f"/api/v1/knowledge/{made['id']}", user="chaoyang-jxs").status_code == 200
    assert api.send("PUT", "/api/v1/knowledge/none", json=_entry()).status_code == 404
    assert api.get("/api/v1/knowledge/none").status_code == 404


def test_a_change_kept_for_a_later_date_applies_when_due(
    api: IntakeApi, client: TestClient
) -> None:
    made = _create(api, title="临时停车收费标准", answer="旧标准：每小时 5 元。")
    path = f"/api/v1/knowledge/{made['id']}"
    when = NOW + timedelta(days=2)
    body = _entry(title="临时停车收费标准", answer="新标准：每小时 6 元。", effective_at=_iso(when))
    kept = api.send("PUT", path, json=body)
    assert kept.status_code == 202, kept.text
    assert api.get(path).json()["answer"] == "旧标准：每小时 5 元。"
    pending = api.get("/api/v1/scheduled-changes", user="dispatcher", kind="knowledge").json()
    assert [(p["key"], p["state"]) for p in pending] == [(made["id"], "pending")]

    engine = app_of(client).state.platform.engine
    uow = uow_factory(engine, metadata, "intake", IntakeUnitOfWork)
    appliers = {"knowledge": knowledge.apply_scheduled}
    assert scheduled.apply_due(uow, scheduled_changes, appliers, lambda: NOW) == 0
    later = when + timedelta(minutes=1)
    assert scheduled.apply_due(uow, scheduled_changes, appliers, lambda: later) == 1

    now = api.get(path).json()
    assert (now["answer"], now["version"]) == ("新标准：每小时 6 元。", 2)
    assert api.get("/api/v1/scheduled-changes", user="admin", kind="knowledge").json() == []
    versions = api.get(f"{path}/versions").json()
    assert versions[-1]["at"].startswith(when.astimezone(UTC).isoformat()[:19])
    events = _audited(client, made["id"])
    assert [e["action"] for e in events] == ["create", "schedule", "change"]
    assert events[-1]["effective_at"] is not None
    assert json.dumps(events[-1]["after"], ensure_ascii=False).count("6 元") == 1


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peers)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'intake.db'}"
    postgres: peers.Peer = request.getfixturevalue("postgres")
    name = f"kb_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    return postgres.url.replace("{db}", name)


def test_entries_written_before_versions_become_their_first_version(database_url: str) -> None:
    upgrade("intake", database_url, "0014")
    engine = make_engine(database_url)
    insert = text(
        "INSERT INTO knowledge_entries (id, title, answer, keywords, category_code, active,"
        " updated_by, updated_at) VALUES (:id, :title, '答复', :keywords, :code, :active,"
        " 'admin1', :at)"
    )
    at = datetime(2026, 3, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for id_, code, active in (("kb-1", "040107", True), ("kb-2", None, False)):
            values = {"id": id_, "title": id_, "keywords": '["社保"]', "code": code}
            conn.execute(insert, values | {"active": active, "at": at})
    upgrade("intake", database_url)
    with engine.connect() as conn:
        entries = conn.execute(
            text("SELECT id, categories, version FROM knowledge_entries ORDER BY id")
        ).all()
        versions = conn.execute(
            text("SELECT entry_id, version, action, record, changed_by FROM knowledge_versions")
        ).all()
    engine.dispose()
    found = [(r[0], _json(r[1]), r[2]) for r in entries]
    assert found == [("kb-1", ["040107"], 1), ("kb-2", [], 1)]
    kept = {r[0]: (r[1], r[2], _json(r[3]), r[4]) for r in versions}
    assert kept["kb-1"][:2] == (1, "create") and kept["kb-1"][3] == "admin1"
    assert kept["kb-1"][2]["categories"] == ["040107"] and kept["kb-1"][2]["active"] is True
    assert kept["kb-2"][2]["active"] is False


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value

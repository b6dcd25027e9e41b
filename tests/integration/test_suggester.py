"""The category suggester end to end in intake: the cold start answers before any model is
trained; `hotline train-suggester` learns from the tickets agents logged, beats the keyword
baseline on the held-out part and stores its evaluation; a version kept without serving is
switched in and back; a worse model does not serve; the scheduled retrain waits for enough
new tickets; refusals in words and by role. A ticket logged through the API carries the
suggestion for its description, with the words behind it (the console's last request
computed it), unless it was answered at once; a failing suggester never stops a ticket,
nor does a model still loading.
The whole flow runs on SQLite; PostgreSQL keeps and serves the versions the same way (the
model's bytes, the one serving flag)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from services.cli import app as cli
from services.common.db import make_engine, uow_factory
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.intake.adapters.orm import metadata
from services.intake.adapters.suggester import Model, train
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.bootstrap import build
from services.intake.handlers.ports import CatalogueCache
from services.intake.handlers.suggest import Suggester
from tests.support import peers
from tests.support.harness import eventually
from tests.support.intake import IntakeApi, outbox

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "suggester_corpus.jsonl"
ROWS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
SUGGESTIONS = "/api/v1/suggestions"


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[IntakeApi, dict[str, str]]]:
    data_dir: Path = tmp_path_factory.mktemp("suggester")
    env = {"HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_DATABASE_URL": ""}
    settings = Settings(data_dir=data_dir, database_url=env["HOTLINE_DATABASE_URL"])
    with TestClient(build(settings)) as client:
        yield IntakeApi(client), env


@pytest.fixture(scope="module")
def api(platform: tuple[IntakeApi, dict[str, str]]) -> IntakeApi:
    return platform[0]


def _hotline(platform: tuple[IntakeApi, dict[str, str]], *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env=platform[1])


def _suggest(api: IntakeApi, description: str, user: str = "agent1") -> dict[str, Any]:
    answer = api.client.post(
        SUGGESTIONS, json={"description": description}, headers=api.headers(user)
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_with_no_model_trained_the_cold_start_suggests_from_the_catalogue(
    api: IntakeApi,
) -> None:
    found = _suggest(api, "家里停水了，什么时候来水")
    assert found["model_version"] is None
    first = found["categories"][0]
    assert first["code"] == "020101"
    assert first["path"] == ["公共服务", "供水", "停水"]
    assert len(found["categories"]) == 3
    confidences = [c["confidence"] for c in found["categories"]]
    assert confidences == sorted(confidences, reverse=True) and 0 < confidences[0] <= 1
    assert _suggest(api, "   ") == {"model_version": None, "categories": []}


def _created(api: IntakeApi, **call: Any) -> dict[str, Any]:
    logged = api.call(**call)
    assert logged.status_code == 201, logged.text
    events = outbox(api.client, logged.json()["id"])
    return next(payload for kind, payload in events if kind == "TicketCreated")


def test_a_new_ticket_carries_the_suggestion_the_console_was_shown(
    api: IntakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    description = "我家小区停水两天了，水龙头一滴水都没有，什么时候来水"
    shown = _suggest(api, description)["categories"]
    assert shown[0]["words"] and all(w in description for w in shown[0]["words"])
    assert all(isinstance(c["words"], list) for c in shown)
    ranked = []
    monkeypatch.setattr(Model, "top", lambda *a, **k: ranked.append(a) or [])
    created = _created(api, description=description, category_code="020101")
    assert ranked == []  # the console's answer, not computed again
    assert created["suggestion"] == {
        "category_code": shown[0]["code"],
        "confidence": shown[0]["confidence"],
        "model_version": None,
        "words": shown[0]["words"],
    }
    monkeypatch.undo()
    # Never asked by the console: computed when the ticket is logged.
    fresh = _created(api, description="楼下饭馆油烟太大，熏得窗户都不敢开")
    assert fresh["suggestion"]["model_version"] is None
    assert 0 < fresh["suggestion"]["confidence"] <= 1
    assert all(w in fresh["description"] for w in fresh["suggestion"]["words"])


def test_a_ticket_never_waits_for_the_model_to_load(tmp_path: Path) -> None:
    """The first ticket after a start goes without a suggestion rather than wait seconds
    for the cold start; the model is learned meanwhile, and later tickets carry one."""
    with TestClient(build(Settings(data_dir=tmp_path))) as client:
        api = IntakeApi(client)
        first = _created(api, description="楼下饭馆油烟太大，熏得窗户都不敢开")
        assert first["suggestion"] is None
        later = eventually(lambda: _created(api, description="小区门口的路灯不亮了")["suggestion"])
        assert later["model_version"] is None and later["words"]


def test_a_ticket_answered_at_once_carries_no_suggestion(api: IntakeApi) -> None:
    created = _created(
        api,
        request_type="consultation",
        category_code="040107",
        description="社保卡丢了怎么补办",
        answer={"text": "带身份证到社保网点补办"},
    )
    assert created["answered_directly"] and created["suggestion"] is None


def test_a_failing_suggester_never_stops_a_ticket(
    api: IntakeApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("model unreadable")

    _suggest(api, "小区门口路灯坏了")  # the model in memory: the ticket would ask it
    monkeypatch.setattr(Suggester, "suggest", broken)
    with caplog.at_level(logging.ERROR, logger="services.intake.handlers.context"):
        created = _created(api, description="小区门口路灯坏了好几天")
    assert created["suggestion"] is None
    assert "category suggestion failed" in caplog.text
    # No leaf suggested at all (characters the model never saw): no suggestion either.
    monkeypatch.undo()
    assert _created(api, description="ᚠᚢᚦᚨᚱ")["suggestion"] is None


def test_trained_on_logged_tickets_it_beats_the_keyword_baseline_and_serves(
    platform: tuple[IntakeApi, dict[str, str]], api: IntakeApi
) -> None:
    for n, row in enumerate(ROWS):
        phone = f"139{n:08d}"
        logged = api.call(
            description=row["text"], category_code=row["category"], caller_phone=phone
        )
        assert logged.status_code == 201, logged.text
    ran = _hotline(platform, "train-suggester")
    assert ran.exit_code == 0, ran.output
    assert "version 1 now serves" in ran.output
    listed = _hotline(platform, "suggester", "list")
    assert listed.exit_code == 0 and "tickets" in listed.output, listed.output
    evaluation = _versions(platform)[0]["evaluation"]
    assert evaluation["n_test"] >= 5
    assert evaluation["top3"] > evaluation["baseline_top3"]
    assert evaluation["top1"] > evaluation["baseline_top1"]
    assert evaluation["p95_ms"] > 0
    # Words no keyword of the catalogue names, in a sentence no ticket said.
    found = _suggest(api, "晚上回家那段路黑漆漆的，灯坏了")
    assert found["model_version"] == 1
    assert found["categories"][0]["code"] == "030105"


def _suggester(platform: tuple[IntakeApi, dict[str, str]]) -> Suggester:
    env = platform[1]
    settings = Settings(
        data_dir=Path(env["HOTLINE_DATA_DIR"]), database_url=env["HOTLINE_DATABASE_URL"]
    )
    engine = make_engine(settings.database_url_for("intake"))
    uow = uow_factory(engine, metadata, "intake", IntakeUnitOfWork)
    return Suggester(uow, CatalogueCache())


def _versions(platform: tuple[IntakeApi, dict[str, str]]) -> list[dict[str, Any]]:
    return _suggester(platform).versions()


def test_a_version_kept_aside_serves_when_switched_to_and_back(
    platform: tuple[IntakeApi, dict[str, str]], api: IntakeApi
) -> None:
    kept = _hotline(platform, "train-suggester", "--no-serve")
    assert kept.exit_code == 0 and "version 2 kept, not serving" in kept.output, kept.output
    assert _suggest(api, "水龙头拧开不出水")["model_version"] == 1
    assert _hotline(platform, "suggester", "serve", "2").exit_code == 0
    assert _suggest(api, "水龙头拧开不出水")["model_version"] == 2
    assert _hotline(platform, "suggester", "serve", "1").exit_code == 0
    assert _suggest(api, "水龙头拧开不出水")["model_version"] == 1
    missing = _hotline(platform, "suggester", "serve", "99")
    assert missing.exit_code == 1 and "没有第 99 版" in missing.output
    serving = [v["version"] for v in _versions(platform) if v["serving"]]
    assert serving == [1]


def test_a_model_worse_than_the_serving_one_is_kept_but_does_not_serve(
    platform: tuple[IntakeApi, dict[str, str]], tmp_path: Path
) -> None:
    # It learns one vague sentence per leaf, and is tested on the very texts the serving
    # model learned from the tickets.
    lines = [
        {"id": f"w{n}", "text": "你好", "category": c, "split": "train"}
        for n, c in enumerate({r["category"] for r in ROWS})
    ]
    lines += [{**row, "split": "test"} for row in ROWS]
    corpus = tmp_path / "weak.jsonl"
    corpus.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    ran = _hotline(platform, "train-suggester", "--corpus", str(corpus))
    assert ran.exit_code == 0, ran.output
    assert "kept, not serving: its top-3" in ran.output
    versions = _versions(platform)
    assert [v["version"] for v in versions if v["serving"]] == [1]
    assert versions[0]["source"] == "corpus:weak.jsonl"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "缺分类"}\n', encoding="utf-8")
    refused = _hotline(platform, "train-suggester", "--corpus", str(bad))
    assert refused.exit_code == 1 and "bad.jsonl:1" in refused.output


def test_the_scheduled_retrain_waits_for_enough_new_tickets(
    platform: tuple[IntakeApi, dict[str, str]], api: IntakeApi
) -> None:
    suggester = _suggester(platform)
    before = len(suggester.versions())
    for n in range(2):
        api.call(description="楼下半夜放音响吵得睡不着", caller_phone=f"137{n:08d}")
    assert suggester.retrain_if_due(3) == 0
    assert suggester.retrain_if_due(2) == 1
    newest = suggester.versions()[0]
    assert len(suggester.versions()) == before + 1
    assert (newest["created_by"], newest["source"]) == ("system", "scheduled")


def test_bad_input_and_other_roles_are_refused(api: IntakeApi) -> None:
    long = api.client.post(
        SUGGESTIONS, json={"description": "吵" * 4001}, headers=api.headers("agent1", "en")
    )
    assert long.status_code == 422
    assert long.headers["content-type"].startswith("application/problem+json")
    assert "4000" in long.text
    extra = api.client.post(
        SUGGESTIONS, json={"description": "x", "nope": 1}, headers=api.headers("agent1")
    )
    assert extra.status_code == 422
    for user in ("dispatcher", "admin"):
        assert _suggest(api, "家里停水了", user=user)["categories"]
    for user in ("leader", "chaoyang-jxs"):
        refused = api.client.post(SUGGESTIONS, json={"description": "x"}, headers=api.headers(user))
        assert refused.status_code == 403, user
    stranger = {"Authorization": "Bearer not-a-token"}
    assert (
        api.client.post(SUGGESTIONS, json={"description": "x"}, headers=stranger).status_code == 401
    )


def test_a_leaf_retired_after_training_is_no_longer_suggested(api: IntakeApi) -> None:
    dark = "晚上回家那段路黑漆漆的，灯坏了"
    assert _suggest(api, dark)["categories"][0]["code"] == "030105"
    assert api.send("POST", "/api/v1/categories/030105/retire").is_success
    found = _suggest(api, dark)
    assert found["model_version"] is not None  # the model still knows it; intake skips it
    assert "030105" not in [c["code"] for c in found["categories"]]
    assert len(found["categories"]) == 3


@pytest.mark.peers
def test_postgresql_keeps_the_versions_and_serves_one(postgres: peers.Peer) -> None:
    name = f"sg_{uuid.uuid4().hex[:8]}"
    peers.create_databases(postgres, (name,))
    url = postgres.url.replace("{db}", name)
    upgrade("intake", url)
    engine = make_engine(url)
    uow = uow_factory(engine, metadata, "intake", IntakeUnitOfWork)
    model = train(
        ["停水了", "没有水", "路灯不亮", "灯坏了"], ["020101", "020101", "030105", "030105"]
    )
    values = {"created_at": datetime.now(UTC), "created_by": "admin", "source": "test",
              "trained_on": 4, "evaluation": {"top3": 1.0}, "model": model.dumps()}  # fmt: skip
    with uow() as u:
        first, second = u.suggesters.add(values), u.suggesters.add(values)
        u.suggesters.serve(first)
        u.suggesters.serve(second)
        u.commit()
    with uow() as u:
        assert (first, second, u.suggesters.serving()) == (1, 2, 2)
        assert [v["version"] for v in u.suggesters.listed()] == [2, 1]
        stored = Model.loads(u.suggesters.model_bytes(first) or b"")
    assert stored.top("又停水了", 1)[0][0] == "020101"
    engine.dispose()

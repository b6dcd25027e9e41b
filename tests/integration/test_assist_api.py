"""Help while the agent types, through intake's API: the urgency cues of a description (in
the caller's language, for agents, dispatchers and admins only), the knowledge entries a
long description is about, refusals in words, and a cue file intake cannot use stopping
its start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.common.settings import Settings
from services.intake.bootstrap import build
from services.intake.config import IntakeSettings
from tests.support.intake import IntakeApi

CUES = "/api/v1/urgency-cues"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeApi]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("assist"))
    with TestClient(build(settings)) as client:
        yield IntakeApi(client)


def _cues(api: IntakeApi, description: str, user: str = "agent1", lang: str = "zh-CN") -> dict:
    answer = api.client.post(
        CUES, json={"description": description}, headers=api.headers(user, lang)
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_danger_in_the_description_suggests_an_urgency_with_its_reason(api: IntakeApi) -> None:
    found = _cues(api, "家里厨房有很重的煤 气 味，小区也停水了")
    assert found["suggested"] == "urgent"
    assert [(c["word"], c["urgency"]) for c in found["cues"]] == [
        ("煤气味", "urgent"),
        ("停水", "utilities"),
    ]
    assert "燃气泄漏" in found["cues"][0]["reason"]
    english = _cues(api, "家里厨房有很重的煤气味", lang="en")
    assert english["cues"][0]["reason"].startswith("A suspected gas leak")


def test_a_denied_or_harmless_description_suggests_nothing(api: IntakeApi) -> None:
    assert _cues(api, "师傅来看过了，没有煤气味了") == {"suggested": None, "cues": []}
    assert _cues(api, "") == {"suggested": None, "cues": []}


def test_dispatchers_and_admins_may_ask_others_may_not(api: IntakeApi) -> None:
    for user in ("dispatcher", "admin"):
        assert _cues(api, "电梯困人", user=user)["suggested"] == "urgent"
    for user in ("leader", "chaoyang-jxs"):
        refused = api.client.post(CUES, json={"description": "x"}, headers=api.headers(user))
        assert refused.status_code == 403, user
    stranger = {"Authorization": "Bearer not-a-token"}
    assert api.client.post(CUES, json={"description": "x"}, headers=stranger).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [({"description": "长" * 4001}, "description"), ({}, "description"), ({"text": "x"}, "text")],
)
def test_bad_input_is_refused_in_words(api: IntakeApi, body: dict, field: str) -> None:
    for lang in ("zh-CN", "en"):
        refused = api.client.post(CUES, json=body, headers=api.headers("agent1", lang))
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert any(e["field"].endswith(field) for e in problem["errors"]), problem
        assert problem["detail"]


def test_a_long_description_finds_the_entry_it_is_about(api: IntakeApi) -> None:
    told = (
        "您好，我想问一下啊，我这个人记性不好，前两天去超市买东西，回来发现钱包不见了，"
        "里面有身份证、银行卡什么的，别的都还好说，就是那张社保卡丢了，下礼拜还得去医院复查，"
        "医生说要刷卡的，现在该找哪个部门补办，需要什么材料，要不要先打电话挂失"
    )
    assert len(told) > 100  # longer than a search box's words
    found = api.get("/api/v1/knowledge", mode="answer", q=told, limit=5).json()
    ranked = [(k["id"], k["score"]) for k in found]
    # The subject, not the ID card said in passing, decides; by a clear margin.
    assert [i for i, _ in ranked[:2]] == ["kb-sbk-bb", "kb-sfz-bb"], ranked
    assert ranked[0][1] > ranked[1][1] + 0.3, ranked
    noise = "楼下工地晚上施工噪音很大，吵得睡不着觉，已经持续一个星期了，希望有关部门管一管"
    assert api.get("/api/v1/knowledge", mode="answer", q=noise).json() == []
    assert api.get("/api/v1/knowledge", q="长" * 401).status_code == 422


def test_a_cue_file_intake_cannot_use_stops_its_start(tmp_path: Path) -> None:
    bad = tmp_path / "cues.toml"
    bad.write_text('[[cues]]\nwords = ["火"]\nurgency = "soon"\n', encoding="utf-8")
    options = IntakeSettings(intake_urgency_cues_file=str(bad))
    with pytest.raises(ValueError, match="cue 1: urgency 'soon'") as refused:
        build(Settings(data_dir=tmp_path), options)
    assert str(bad) in str(refused.value)

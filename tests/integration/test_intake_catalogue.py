"""The category catalogue and the knowledge base in the database: admins change them,
each change a new version; retired categories stay readable and refuse new calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.common.settings import Settings
from services.intake.bootstrap import build
from tests.support.intake import IntakeApi


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeApi]:
    data_dir: Path = tmp_path_factory.mktemp("intake-catalogue")
    with TestClient(build(Settings(data_dir=data_dir))) as client:
        yield IntakeApi(client)


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("zyrm", "010101"),
        ("噪音扰民", "010101"),
        ("停水", "020101"),
        ("红绿灯", "030101"),
        ("0202", "020201"),
        ("社保卡丢了", "040107"),
        ("预付卡", "060201"),
    ],
)
def test_categories_are_found_by_name_initials_keyword_or_code(
    api: IntakeApi, q: str, first: str
) -> None:
    found = api.get("/api/v1/categories", q=q).json()
    assert found[0]["code"] == first, [c["code"] for c in found]


def test_the_seed_has_a_realistic_three_level_catalogue(api: IntakeApi) -> None:
    leaves = api.get("/api/v1/categories", q="", limit=50).json()
    assert leaves == []  # nothing typed, nothing suggested
    tops = [api.get(f"/api/v1/categories/{c:02d}").status_code for c in range(1, 14)]
    assert set(tops) == {200}
    assert api.get("/api/v1/categories/010101").json()["path"] == [
        "城乡建设",
        "市容环境",
        "噪音扰民",
    ]


def test_a_retired_category_refuses_new_calls_but_old_tickets_keep_it(api: IntakeApi) -> None:
    old = api.call(category_code="010110", description="商铺招牌松动有坠落危险").json()
    retired = api.send("POST", "/api/v1/categories/010110/retire")
    assert retired.status_code == 200
    assert retired.json()[0]["retired_in"] is not None
    refused = api.call(category_code="010110", description="广告牌摇晃")
    assert refused.status_code == 422
    assert "停用" in refused.json()["detail"]
    assert api.get(f"/api/v1/tickets/{old['id']}").json()["category_path"][-1] == "户外广告牌匾"
    assert api.get("/api/v1/categories/010110").json()["retired_in"] is not None
    assert "010110" not in [c["code"] for c in api.get("/api/v1/categories", q="广告牌").json()]
    listed = api.get("/api/v1/categories", q="广告牌", include_retired=True).json()
    assert "010110" in [c["code"] for c in listed]
    assert api.send("POST", "/api/v1/categories/010110/retire").status_code == 409
    assert api.send("POST", "/api/v1/categories/010110/restore").status_code == 200
    assert api.call(category_code="010110", description="广告牌摇晃").status_code == 201


def test_retiring_a_branch_retires_its_leaves(api: IntakeApi) -> None:
    done = api.send("POST", "/api/v1/categories/0207/retire").json()
    assert {c["code"] for c in done} == {"0207", "020701", "020702"}
    assert api.call(category_code="020701", description="快递丢件").status_code == 422
    restored = api.send("POST", "/api/v1/categories/020701/restore").json()
    assert {c["code"] for c in restored} == {"0207", "020701"}


def test_admins_add_and_rename_categories_with_a_version_each(api: IntakeApi) -> None:
    made = api.send(
        "POST",
        "/api/v1/categories",
        json={"code": "010111", "name": "共享单车占道", "parent": "0101", "keywords": ["单车"]},
    )
    assert made.status_code == 201, made.text
    assert made.json()["initials"] == "gxdczd"
    renamed = api.send("PATCH", "/api/v1/categories/010111", json={"name": "共享单车乱停放"})
    assert renamed.json()["name"] == "共享单车乱停放"
    assert api.get("/api/v1/categories", q="gxdclt").json()[0]["code"] == "010111"
    changes = api.send("GET", "/api/v1/categories/changes").json()
    assert [c["action"] for c in changes[:2]] == ["change", "create"]
    assert changes[0]["changed_by"] == "admin"
    assert changes[0]["version"] == changes[1]["version"] + 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "010101", "name": "重复", "parent": "0101"}, "code"),
        ({"code": "0101011", "name": "七位", "parent": "0101"}, "code"),
        ({"code": "019901", "name": "无上级", "parent": "0199"}, "parent"),
        ({"code": "010199", "name": "错上级", "parent": "0102"}, "parent"),
        ({"code": "010198", "name": ""}, "name"),
    ],
)
def test_bad_catalogue_changes_are_refused(
    api: IntakeApi, body: dict[str, object], field: str
) -> None:
    response = api.send("POST", "/api/v1/categories", json=body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_only_admins_change_the_catalogue_and_knowledge(api: IntakeApi) -> None:
    for user in ("agent1", "dispatcher", "leader"):
        assert api.send("POST", "/api/v1/categories/010101/retire", user=user).status_code == 403
        body = {"title": "x", "answer": "y"}
        assert api.send("POST", "/api/v1/knowledge", user=user, json=body).status_code == 403
    assert api.get("/api/v1/categories", user="dispatcher", q="zyrm").status_code == 200


def test_admins_maintain_the_knowledge_base(api: IntakeApi) -> None:
    body = {
        "title": "垃圾分类投放时间",
        "answer": "按社区公布的桶站时间投放。",
        "keywords": ["垃圾分类"],
    }
    made = api.send("POST", "/api/v1/knowledge", json=body).json()
    assert api.get("/api/v1/knowledge", q="垃圾分类几点投放").json()[0]["id"] == made["id"]
    archived = api.send("PUT", f"/api/v1/knowledge/{made['id']}", json=body | {"active": False})
    assert archived.json()["active"] is False
    assert made["id"] not in [k["id"] for k in api.get("/api/v1/knowledge", q="垃圾分类").json()]
    assert api.get(f"/api/v1/knowledge/{made['id']}").json()["active"] is False
    assert api.send("PUT", "/api/v1/knowledge/none", json=body).status_code == 404


def test_addresses_autocomplete_and_resolve(api: IntakeApi) -> None:
    assert api.get("/api/v1/addresses", q="朝阳 永安里").json()[0]["code"] == "110105001001"
    assert api.get("/api/v1/addresses", q="zgcjd").json()[0]["path"] == ["海淀区", "中关村街道"]
    resolved = api.get("/api/v1/addresses/resolve", text="海淀区中关村科源社区8号楼").json()
    assert resolved[0]["code"] == "110108001001"
    assert api.get("/api/v1/addresses/110101").json()["lat"] is not None
    assert api.get("/api/v1/addresses/999").status_code == 404

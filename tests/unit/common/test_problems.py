"""Problem details: shape, field paths, languages, and no 500 for bad input."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, field_validator

from services.common.errors import (
    Conflict,
    DomainError,
    Gone,
    Invalid,
    NotFound,
    Refused,
    Unavailable,
)
from services.common.i18n import MESSAGES, negotiate, register, t
from services.common.problems import (
    PROBLEM_MEDIA_TYPE,
    STATUS_OF,
    FieldError,
    Problem,
    field_problem,
    install_problem_handlers,
    status_of,
)

SECRET = "db password is hunter2"
EN = {"Accept-Language": "en"}

register(
    {
        "test.unknown_category": {
            "zh": "未知的分类：{category}",
            "en": "Unknown category: {category}",
        },
        "test.already_done": {"zh": "工单已办结。", "en": "The ticket is already resolved."},
        "test.bad_tag": {"zh": "标签无效。", "en": "Unknown tag."},
    }
)


class Caller(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=20)]
    phone: Annotated[str, Field(pattern=r"^\d{11}$")]


class CallIn(BaseModel):
    summary: Annotated[str, Field(min_length=2)]
    minutes: Annotated[int, Field(ge=0, le=600)]
    urgency: Literal["normal", "urgent"]
    caller: Caller
    tags: list[str] = []

    @field_validator("tags")
    @classmethod
    def _known_tags(cls, tags: list[str]) -> list[str]:
        if "bad" in tags:
            raise ValueError("test.bad_tag")
        return tags


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/calls")
    def create_call(call: CallIn) -> dict[str, str]:
        return {"summary": call.summary}

    @app.get("/tickets")
    def list_tickets(page: int = 1) -> dict[str, int]:
        return {"page": page}

    @app.post("/tickets/{ticket_id}/resolve")
    def resolve(ticket_id: str) -> None:
        raise Problem(409, "test.already_done")

    @app.post("/categories")
    def category() -> None:
        raise field_problem("category", "test.unknown_category", category="噪音", code="N1")

    @app.get("/generic")
    def generic() -> None:
        raise Problem(403, "status.403")

    @app.get("/me")
    def me() -> None:
        raise HTTPException(401, "auth.invalid_token", headers={"WWW-Authenticate": "Bearer"})

    @app.get("/plain")
    def plain() -> None:
        raise HTTPException(409, "free text from a library")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(SECRET)

    @app.get("/domain/{kind}")
    def domain(kind: str) -> None:
        raise KINDS[kind]("test.unknown_category", field="category", category="噪音")

    @app.get("/problem/{status}")
    def problem(status: int) -> None:
        raise field_problem("category", "test.unknown_category", status, category="噪音")

    @app.get("/suggest")
    def suggest() -> None:
        raise Invalid("test.bad_tag", details={"suggestions": ["a", "b"]})

    @app.get("/several")
    def several() -> None:
        raise Invalid.fields([FieldError("tags.0", "test.bad_tag"), FieldError("name", "missing")])

    return app


KINDS: dict[str, type[DomainError]] = {
    "not_found": NotFound,
    "conflict": Conflict,
    "refused": Refused,
    "gone": Gone,
    "invalid": Invalid,
    "unavailable": Unavailable,
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(_app(), raise_server_exceptions=False)


VALID = {
    "summary": "路灯不亮",
    "minutes": 3,
    "urgency": "normal",
    "caller": {"name": "张三", "phone": "13812345678"},
}


def _bad_call(client: TestClient, headers: dict[str, str] | None = None) -> dict:
    payload = {**VALID, "minutes": "x", "urgency": "soon", "caller": {"phone": "12"}}
    response = client.post("/calls", json=payload, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    return response.json()


def _by_field(body: dict) -> dict[str, dict]:
    return {error["field"]: error for error in body["errors"]}


def test_valid_body_passes(client: TestClient) -> None:
    assert client.post("/calls", json=VALID).json() == {"summary": "路灯不亮"}


def test_validation_names_each_field_without_body_prefix(client: TestClient) -> None:
    body = _bad_call(client)
    errors = _by_field(body)
    assert set(errors) == {"minutes", "urgency", "caller.name", "caller.phone"}
    assert errors["minutes"]["code"] == "int_parsing"
    assert errors["urgency"]["code"] == "literal_error"
    assert errors["caller.name"]["code"] == "missing"
    assert errors["caller.phone"]["code"] == "string_pattern_mismatch"
    assert body["type"] == "https://hotline.invalid/problems/request.validation_failed"
    assert body["status"] == 422
    assert body["instance"] == "/calls"


def test_validation_is_chinese_by_default(client: TestClient) -> None:
    response = client.post("/calls", json={**VALID, "urgency": "soon"})
    body = response.json()
    assert response.headers["content-language"] == "zh-CN"
    assert body["title"] == "输入有误"
    assert body["detail"] == "有 1 处输入有误，请检查标出的字段。"
    assert body["errors"][0]["message"] == "取值必须是以下之一：'normal' 或 'urgent'。"


def test_validation_in_english(client: TestClient) -> None:
    body = _bad_call(client, EN)
    errors = _by_field(body)
    assert body["title"] == "Unprocessable Content"
    assert body["detail"].startswith("4 input(s) are invalid")
    assert errors["urgency"]["message"] == "Must be one of: 'normal' or 'urgent'."
    assert errors["caller.name"]["message"] == "This field is required."
    assert errors["minutes"]["message"] == "Must be an integer."


def test_ctx_params_are_formatted(client: TestClient) -> None:
    payload = {**VALID, "summary": "x", "minutes": 601}
    errors = _by_field(client.post("/calls", json=payload).json())
    assert errors["summary"]["message"] == "至少需要 2 个字符。"
    assert errors["minutes"]["message"] == "不能大于 600。"


def test_list_items_and_value_errors(client: TestClient) -> None:
    response = client.post("/calls", json={**VALID, "tags": ["ok", 5]})
    assert _by_field(response.json())["tags.1"]["code"] == "string_type"
    response = client.post("/calls", json={**VALID, "tags": ["bad"]}, headers=EN)
    error = _by_field(response.json())["tags"]
    assert error["code"] == "value_error"
    assert error["message"] == "Unknown tag."


def test_submitted_values_are_not_echoed(client: TestClient) -> None:
    response = client.post("/calls", json={**VALID, "caller": {"name": "张三", "phone": "1381234"}})
    assert "1381234" not in response.text


def test_invalid_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/calls", content=b'{"summary": ', headers={"Content-Type": "application/json", **EN}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == "https://hotline.invalid/problems/request.invalid_body"
    assert body["detail"] == "The request body is not valid JSON."
    assert "errors" not in body


def test_body_that_is_not_json_is_415(client: TestClient) -> None:
    response = client.post("/calls", content=b"summary=x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["title"] == "不支持的内容类型"


def test_missing_body_is_a_root_field_error(client: TestClient) -> None:
    response = client.post("/calls")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "", "code": "missing", "message": "此项为必填项。"}
    ]


def test_query_parameter_path(client: TestClient) -> None:
    response = client.get("/tickets", params={"page": "two"})
    assert response.status_code == 422
    assert _by_field(response.json())["query.page"]["code"] == "int_parsing"


def test_domain_problem(client: TestClient) -> None:
    response = client.post("/tickets/T1/resolve", headers=EN)
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json() == {
        "type": "https://hotline.invalid/problems/test.already_done",
        "title": "Conflict",
        "status": 409,
        "detail": "The ticket is already resolved.",
        "instance": "/tickets/T1/resolve",
    }


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("not_found", 404),
        ("conflict", 409),
        ("refused", 403),
        ("gone", 410),
        ("invalid", 422),
        ("unavailable", 503),
    ],
)
def test_a_domain_error_answers_as_the_problem_of_its_kind(
    client: TestClient, kind: str, status: int
) -> None:
    for headers in (None, EN):
        domain = client.get(f"/domain/{kind}", headers=headers)
        problem = client.get(f"/problem/{status}", headers=headers)
        assert domain.status_code == status
        assert domain.content == problem.content.replace(
            f"/problem/{status}".encode(), f"/domain/{kind}".encode()
        )
        assert domain.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert domain.headers["content-language"] == problem.headers["content-language"]


def test_every_kind_has_a_status_and_a_bare_domain_error_is_400() -> None:
    assert set(KINDS.values()) | {DomainError} == set(STATUS_OF)
    assert status_of(DomainError("test.bad_tag")) == 400

    class Stale(Conflict):
        pass

    assert status_of(Stale("test.already_done")) == 409
    assert status_of(Stale) == status_of(Conflict) == 409


def test_domain_details_become_extension_members(client: TestClient) -> None:
    body = client.get("/suggest", headers=EN).json()
    assert (body["status"], body["detail"], body["suggestions"]) == (
        422,
        "Unknown tag.",
        ["a", "b"],
    )
    assert "errors" not in body


def test_several_invalid_inputs_are_listed_with_their_count(client: TestClient) -> None:
    body = client.get("/several", headers=EN).json()
    assert body["type"].endswith("/request.validation_failed")
    assert [e["field"] for e in body["errors"]] == ["tags.0", "name"]
    assert "2" in body["detail"]


def test_field_problem_names_the_field(client: TestClient) -> None:
    body = client.post("/categories").json()
    assert body["status"] == 422
    assert body["detail"] == "未知的分类：噪音"
    assert body["errors"] == [
        {"field": "category", "code": "test.unknown_category", "message": "未知的分类：噪音"}
    ]


def test_generic_problem_is_about_blank(client: TestClient) -> None:
    body = client.get("/generic").json()
    assert body["type"] == "about:blank"
    assert (body["title"], body["detail"]) == ("无权访问", "您没有执行此操作的权限。")


def test_http_exception_keeps_headers_and_translates_key(client: TestClient) -> None:
    response = client.get("/me", headers=EN)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == "https://hotline.invalid/problems/auth.invalid_token"
    assert body["detail"] == "The access token is invalid or has expired; sign in again."
    assert client.get("/me").json()["detail"] == "访问令牌无效或已过期，请重新登录。"


def test_http_exception_free_text_is_kept(client: TestClient) -> None:
    body = client.get("/plain").json()
    assert (body["status"], body["type"]) == (409, "about:blank")
    assert (body["title"], body["detail"]) == ("冲突", "free text from a library")


def test_500_never_leaks_and_is_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="services.common.problems"):
        response = client.get("/boom", headers=EN)
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert SECRET not in response.text
    assert "RuntimeError" not in response.text
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["title"] == "Internal Server Error"
    assert any(record.exc_info for record in caplog.records)
    assert client.get("/boom").json()["detail"] == "服务器处理请求时出错，请稍后重试。"


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["content-language"] == "zh-CN"
    assert response.json() == {
        "type": "about:blank",
        "title": "未找到",
        "status": 404,
        "detail": "请求的资源不存在。",
        "instance": "/nowhere",
    }
    assert client.get("/nowhere", headers=EN).json()["title"] == "Not Found"


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    response = client.delete("/calls", headers=EN)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-language"] == "en"
    assert response.json()["title"] == "Method Not Allowed"


def test_params_may_reuse_argument_names() -> None:
    problem = Problem(404, "test.already_done", code="T1", status="x")
    assert (problem.status, problem.code, problem.params) == (
        404,
        "test.already_done",
        {"code": "T1", "status": "x"},
    )
    assert field_problem("a", "missing", 400, field="f").status == 400


def test_problem_rejects_non_error_status() -> None:
    with pytest.raises(ValueError):
        Problem(200, "status.400")


def test_field_error_defaults() -> None:
    assert FieldError("a", "missing").params == {}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh"),
        ("", "zh"),
        ("en", "en"),
        ("en-US", "en"),
        ("EN-gb", "en"),
        ("zh-CN", "zh"),
        ("zh-TW", "zh"),
        ("zh", "zh"),
        ("fr-FR", "zh"),
        ("fr, en;q=0.5", "en"),
        ("zh;q=0.4, en;q=0.8", "en"),
        ("en;q=0.8, zh-CN;q=0.9", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en, zh", "en"),
        ("en;q=0, fr", "zh"),
        ("*", "zh"),
        ("en;q=abc", "zh"),
        ("en;q=2", "zh"),
        (";;,,=", "zh"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_t_falls_back_to_zh_then_key() -> None:
    register({"test.zh_only": {"zh": "仅中文"}})
    assert t("test.zh_only", "en") == "仅中文"
    assert t("no.such.key", "en") == "no.such.key"
    assert (
        t("validation.string_too_long", "en", max_length=5) == "Must be at most 5 characters long."
    )
    assert t("validation.string_too_long", "zh") == "最多 {max_length} 个字符。"


def test_register_refuses_conflicting_text() -> None:
    register({"test.zh_only": {"zh": "仅中文"}})
    with pytest.raises(ValueError):
        register({"test.zh_only": {"zh": "别的"}})
    with pytest.raises(ValueError):
        register({"test.fine": {"zh": "好"}, "test.no_zh": {"en": "English only"}})
    with pytest.raises(ValueError):
        register({"test.fr": {"zh": "法语", "fr": "français"}})
    assert not {"test.fine", "test.no_zh", "test.fr"} & set(MESSAGES)

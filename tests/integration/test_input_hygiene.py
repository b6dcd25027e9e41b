"""Malformed input found by probing the services: each once answered 500 or was read in
full; now each is a 4xx problem in the caller's language, and stored text is clean."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from services.common.settings import Settings
from services.common.text import CLEAN
from services.dispatch.bootstrap import build as build_dispatch
from services.feedback.bootstrap import build as build_feedback
from services.intake.bootstrap import build as build_intake
from services.search.bootstrap import build as build_search
from tests.support.feedback import Running, link_parts, running_feedback
from tests.support.harness import PASSWORDS, call_body

MiB = 1024 * 1024


def _headers(client: TestClient, username: str, lang: str = "zh-CN") -> dict[str, str]:
    form = {"username": username, "password": PASSWORDS[username]}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}", "Accept-Language": lang}


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"].endswith(code) and problem["detail"]
    return problem


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("search-hygiene"))
    with TestClient(build_search(settings), raise_server_exceptions=False) as client:
        client.headers.update(_headers(client, "dispatcher", "en"))
        yield client


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("intake-hygiene"))
    with TestClient(build_intake(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def fb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running_feedback(tmp_path_factory.mktemp("feedback-hygiene")) as running:
        yield running


def _cursor(content: bytes) -> str:
    return base64.urlsafe_b64encode(content).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/api/v1/search", "/api/v1/search/export"])
def test_a_day_past_the_calendar_is_out_of_range(search: TestClient, path: str) -> None:
    problem = _problem(search.get(path, params={"to": "9999-12-31"}), 422, "date_out_of_range")
    assert problem["errors"][0]["field"] == "to"
    assert "9998-12-31" in problem["detail"]


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(json.dumps(["newest", [12345678901234567890, "t1"]]).encode()),
        _cursor(b"[" * 3000),
        _cursor(json.dumps(["newest", [True, "t1"]]).encode()),
        _cursor(json.dumps(["newest", [1, "t1", 3]]).encode()),
    ],
    ids=["20-digit-integer", "3000-nested-brackets", "boolean", "three-values"],
)
def test_a_cursor_we_did_not_make_is_refused(search: TestClient, cursor: str) -> None:
    response = search.get("/api/v1/search", params={"sort": "newest", "after": cursor})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] in ("after", "query.after")


def test_a_cursor_we_made_still_pages(search: TestClient) -> None:
    made = _cursor(json.dumps(["newest", [1764547200000, "t1"]]).encode())
    response = search.get("/api/v1/search", params={"sort": "newest", "after": made})
    assert response.status_code == 200, response.text


def test_search_parameters_are_typed_and_bounded(search: TestClient) -> None:
    for params, field in (
        ({"limit": "1" * 20}, "query.limit"),
        ({"offset": "-1"}, "query.offset"),
        ({"histogram": "year"}, "query.histogram"),
        ({"overdue": "perhaps"}, "query.overdue"),
    ):
        problem = _problem(search.get("/api/v1/search", params=params), 422, "validation_failed")
        assert [e["field"] for e in problem["errors"]] == [field]


@pytest.mark.parametrize("path", ["/api/v1/rankings/{m}", "/api/v1/rankings/{m}.csv"])
def test_a_month_before_the_first_has_no_ranking(fb: Running, path: str) -> None:
    response = fb.client.get(path.format(m="0001-01"), headers=fb.headers("leader", "en"))
    problem = _problem(response, 422, "feedback.month_too_early")
    assert problem["errors"][0]["field"] == "month" and "1970-01" in problem["detail"]


def test_a_two_mebibyte_rating_is_refused_unread(fb: Running) -> None:
    ticket_id, link = fb.resolved("20260511-0101", "D-JXS")
    token = link_parts(link)[1]
    answers = {"contacted": True, "solved": True, "satisfaction": "satisfied"}
    body = json.dumps({"token": token, **answers, "comment": "好" * MiB}).encode()
    assert len(body) > 2 * MiB
    path = f"/api/v1/tickets/{ticket_id}/ratings"
    for lang, word in (("zh-CN", "1 MiB"), ("en", "limit is 1 MiB")):
        headers = {"Content-Type": "application/json", "Accept-Language": lang}
        declared = fb.client.post(path, content=body, headers=headers)
        assert word in _problem(declared, 413, "request.body_too_large")["detail"]
        chunked = fb.client.post(path, content=iter([body[:MiB], body[MiB:]]), headers=headers)
        _problem(chunked, 413, "request.body_too_large")
    assert fb.count("ratings") == 0
    # The same answers in a body of normal size are taken: the link was still unused.
    assert fb.rate(link, **answers).status_code == 201


def test_control_and_direction_characters_are_gone_from_a_stored_call(
    intake: TestClient,
) -> None:
    dirty = "夜间\x00施工\x1b[2J噪音\u202e扰民\u2066，\x7f\x85持续到\r\n凌晨\t两点"
    body = call_body(description=dirty, address="建外街道\u202d永安里\x08")
    response = intake.post("/api/v1/calls", json=body, headers=_headers(intake, "agent1"))
    assert response.status_code == 201, response.text
    stored = intake.get(
        f"/api/v1/tickets/{response.json()['id']}", headers=_headers(intake, "dispatcher")
    ).json()
    assert stored["description"] == "夜间施工[2J噪音扰民，持续到\n凌晨\t两点"
    assert stored["address"] in (None, "建外街道永安里")


def test_a_description_of_control_characters_only_is_empty(intake: TestClient) -> None:
    body = call_body(description="\x00\u202e\x1b")
    response = intake.post("/api/v1/calls", json=body, headers=_headers(intake, "agent1", "en"))
    problem = _problem(response, 422, "validation_failed")
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("description", "string_too_short")
    ]


def _subclasses(cls: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _body_models(document: dict[str, Any]) -> set[str]:
    """Names of the schemas request bodies use, and of those nested in them."""
    schemas = document["components"]["schemas"]
    bodies = json.dumps(
        [
            op.get("requestBody")
            for ops in document["paths"].values()
            for op in ops.values()
            if isinstance(op, dict)
        ]
    )
    names: set[str] = set()
    todo = re.findall(r"#/components/schemas/([\w.-]+)", bodies)
    while todo:
        name = todo.pop()
        if name not in names:
            names.add(name)
            todo += re.findall(r"#/components/schemas/([\w.-]+)", json.dumps(schemas[name]))
    return names


def _is_free_text(schema: dict[str, Any]) -> bool:
    """A string without a pattern or a set of values, and long enough to say something."""
    branches = [schema, *schema.get("anyOf", []), schema.get("items", {})]
    return any(
        b.get("type") == "string"
        and not {"pattern", "enum", "const", "format"} & set(b)
        and b.get("maxLength", 10_000) >= 100
        for b in branches
    )


def _cleaned(annotation: Any, metadata: list[Any]) -> bool:
    found = [*metadata, *getattr(annotation, "__metadata__", ())]
    return CLEAN in found or any(_cleaned(arg, []) for arg in get_args(annotation))


IDENTIFIERS = {"token"}  # long, but opaque: no one reads them


@pytest.mark.parametrize("build", [build_intake, build_dispatch, build_feedback, build_search])
def test_every_free_text_field_of_a_request_body_is_cleaned(
    build: Callable[[Settings], Any], tmp_path: Path
) -> None:
    document = build(Settings(data_dir=tmp_path)).openapi()
    names = _body_models(document)
    models = [m for m in _subclasses(BaseModel) if m.__module__.startswith("services.")]
    unclean = [
        f"{model.__name__}.{name}"
        for model in models
        if model.__name__ in names
        for name, field in model.model_fields.items()
        if name not in IDENTIFIERS
        and _is_free_text(model.model_json_schema()["properties"][field.alias or name])
        and not _cleaned(field.annotation, field.metadata)
    ]
    assert not unclean, f"make these CleanText (services/common/text.py): {unclean}"

"""The problem answers each operation declares are derived from the operation itself, so a
new route is documented without any work of its own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query
from pydantic import BaseModel

from services.common.auth import current_principal
from services.common.errors import Gone
from services.common.openapi import document_problems, problem_answers
from services.common.problems import PROBLEM_MEDIA_TYPE

Signed = [Depends(current_principal)]


class NoteCreate(BaseModel):
    note: str


def _document() -> dict[str, Any]:
    app = FastAPI()

    @app.get("/things", dependencies=Signed)
    def things(q: Annotated[str | None, Query(max_length=5)] = None) -> list[str]:
        return []

    @app.post("/things/{thing_id}/notes", dependencies=Signed)
    def note(thing_id: str, body: NoteCreate, key: Annotated[str | None, Header()] = None) -> str:
        return thing_id

    @app.get("/public/{link}", responses=problem_answers(Gone))
    def public(link: str) -> str:
        return link

    document_problems(app)
    return app.openapi()


def _statuses(document: dict[str, Any], path: str, method: str) -> set[int]:
    return {int(s) for s in document["paths"][path][method]["responses"] if int(s) >= 400}


def test_statuses_follow_from_the_operation() -> None:
    document = _document()
    assert _statuses(document, "/things", "get") == {401, 403, 413, 422, 503}
    assert _statuses(document, "/things/{thing_id}/notes", "post") == {
        400, 401, 403, 404, 409, 413, 415, 422, 503,
    }  # fmt: skip
    assert _statuses(document, "/public/{link}", "get") == {404, 410, 413, 422, 429, 503}


def test_every_error_answer_is_a_problem_and_fastapis_422_schema_is_gone() -> None:
    document = _document()
    schemas = document["components"]["schemas"]
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    assert answer["description"]
                    media = answer["content"][PROBLEM_MEDIA_TYPE]["schema"]
                    assert media == {"$ref": "#/components/schemas/Problem"}
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "instance"}


def test_optional_parameters_are_left_out_never_null() -> None:
    document = _document()
    (q,) = document["paths"]["/things"]["get"]["parameters"]
    assert q["schema"]["type"] == "string" and "anyOf" not in q["schema"]
    header = document["paths"]["/things/{thing_id}/notes"]["post"]["parameters"][1]
    assert header["in"] == "header" and header["schema"]["type"] == "string"

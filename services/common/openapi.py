"""Every operation of a service's OpenAPI document declares the error answers it can give,
each an `application/problem+json` body of the one `Problem` schema.

The statuses are derived from the operation itself when the document is generated, so a new
route is covered without any work of its own:

- every request: 413 (body over the limit), 422 (a bad input), 503 (a peer away);
- with a request body: 400 (not JSON) and 415 (not sent as JSON);
- with a header parameter: 400 (a malformed header, e.g. `Idempotency-Key`);
- signed in (the operation has `security`): 401 and 403; public: 429 (rate limited);
- where OAuth2 clients get their token (the scheme's `tokenUrl`): 401 too;
- a path parameter: 404 (no such object, or not one the caller may see);
- a write (POST, PUT, PATCH, DELETE): 409 (conflicts with the current state).

Optional parameters lose the null FastAPI gives them: a query string or a header is left
out, never null.

A route that answers a status these rules do not give declares it, with FastAPI's
`responses=problem_answers(Gone)` — the domain error kinds it raises, each declared with the
status problems.py answers it with (a bare status is taken too) — or with its own
description; its content is made a problem
too. FastAPI's own 422 schema (`HTTPValidationError`) is replaced: it is not what we send.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from services.common.errors import DomainError
from services.common.problems import PROBLEM_MEDIA_TYPE, ProblemDetails, status_of

SCHEMA = "Problem"
EVERY = frozenset({413, 422, 503})
WITH_BODY = frozenset({400, 415})
SIGNED_IN = frozenset({401, 403})
PUBLIC = frozenset({429})
WRITES = frozenset({"post", "put", "patch", "delete"})
METHODS = WRITES | {"get", "head", "options"}
_FASTAPI_SCHEMAS = ("HTTPValidationError", "ValidationError")


def document_problems(app: FastAPI) -> None:
    """Makes `app.openapi()` add the problem answers to the document FastAPI generates."""
    generate = app.openapi
    done: list[int] = []  # the document last completed: FastAPI makes a new one on changes

    def openapi() -> dict[str, Any]:
        document = generate()
        if done != [id(document)]:
            done[:] = [id(add_problems(document))]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def problem_answers(*answers: int | type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that answers statuses the rules above do not give it: domain
    error kinds (declared with the status problems.py answers them with) or bare statuses."""
    statuses = [a if isinstance(a, int) else status_of(a) for a in answers]
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}


def add_problems(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the problem answers of every operation (changed in place)."""
    sign_in = _token_urls(document)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method in METHODS:
                found = statuses(method, operation) | ({401} if path in sign_in else set())
                _declare(operation, found)
                _absent_not_null(operation)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.update(_problem_schemas())
    _drop_unused(document, components)
    return document


def statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer, by the rules in the module docstring."""
    found = set(EVERY)
    found |= SIGNED_IN if operation.get("security") else PUBLIC
    if "requestBody" in operation:
        found |= WITH_BODY
    if any(p.get("in") == "header" for p in operation.get("parameters", [])):
        found.add(400)
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        found.add(404)
    if method in WRITES:
        found.add(409)
    return found


def documented_methods(app: FastAPI, scope: Mapping[str, Any]) -> list[str] | None:
    """The methods the document gives the request's path (its most literal template: the
    route that serves `/categories/changes` is not the one of `/categories/{code}`), or
    None for a path it does not hold (pages)."""
    path = scope.get("path", "")
    path = path.removeprefix(scope.get("root_path", "")) or path
    paths: dict[str, dict[str, Any]] = app.openapi().get("paths", {})
    found = [t for t in paths if re.fullmatch(_pattern(t), path)]
    if not found:
        return None
    template = min(found, key=lambda t: t.count("{"))
    return sorted(m.upper() for m in paths[template] if m in METHODS)


def _pattern(template: str) -> str:
    return re.sub(r"\\{[^}/]+\\}", "[^/]+", re.escape(template))


def _token_urls(document: dict[str, Any]) -> set[str]:
    """Where OAuth2 clients sign in: answered 401 for wrong credentials, though public."""
    schemes = document.get("components", {}).get("securitySchemes", {}).values()
    flows = [flow for scheme in schemes for flow in scheme.get("flows", {}).values()]
    return {flow["tokenUrl"] for flow in flows if "tokenUrl" in flow}


def _declare(operation: dict[str, Any], derived: set[int]) -> None:
    responses = operation.setdefault("responses", {})
    declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    for status in sorted(derived | declared):
        given = responses.get(str(status), {})
        responses[str(status)] = {
            **given,
            "description": given.get("description") or HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{SCHEMA}"}}},
        }


def _absent_not_null(operation: dict[str, Any]) -> None:
    """An optional query, header or cookie parameter is left out, never sent as null (there
    is no null in a query string or a header): FastAPI's `T | None` says it may be null,
    and a client taking the document at its word would send the text "null"."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
        if parameter.get("in") != "path" and len(branches) == 1 and len(schema["anyOf"]) == 2:
            del schema["anyOf"]
            schema.update({**branches[0], **schema})
            if schema.get("default", "") is None:
                del schema["default"]


def _problem_schemas() -> dict[str, Any]:
    schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    nested = schema.pop("$defs", {})
    return {**nested, SCHEMA: schema}


def _drop_unused(document: dict[str, Any], components: dict[str, Any]) -> None:
    for name in _FASTAPI_SCHEMAS:
        schema = components.pop(name, None)
        if schema is not None and f'"#/components/schemas/{name}"' in json.dumps(document):
            components[name] = schema  # still used by something we did not write

"""RFC 9457 problem details for every error a service returns.

A response body looks like::

    {"type": "https://hotline.invalid/problems/request.validation_failed",
     "title": "输入有误", "status": 422, "detail": "有 1 处输入有误，请检查标出的字段。",
     "instance": "/api/v1/calls",
     "errors": [{"field": "caller.phone", "code": "string_too_short",
                 "message": "至少需要 11 个字符。"}]}

``type`` scheme: ``about:blank`` when the problem means no more than its HTTP status
(catalogue codes ``status.<n>``, unexpected errors, framework errors such as an unknown
route); otherwise ``https://hotline.invalid/problems/<code>`` with the catalogue code,
e.g. ``.../problems/auth.invalid_token``. Codes are stable, so clients may switch on
``type``. ``title`` is the status's generic title; ``detail``, ``title`` and every
``errors[].message`` are in the language negotiated from ``Accept-Language``, which the
``Content-Language`` header names.

Submitted values are never echoed back: inputs carry phone numbers and addresses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.common.bus import BusError
from services.common.errors import (
    Conflict,
    DomainError,
    FieldError,
    Gone,
    Invalid,
    NotFound,
    Refused,
    Unavailable,
)
from services.common.i18n import CONTENT_LANGUAGE, MESSAGES, Lang, negotiate, t

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://hotline.invalid/problems/"
# A peer a request needs is away (down, restarting, refusing connections, pool exhausted):
# the request was fine, so the answer is 503 and when to try again, never a 500.
UNAVAILABLE: dict[type[Exception], str] = {
    OperationalError: "unavailable.database",
    InterfaceError: "unavailable.database",
    PoolTimeout: "unavailable.database",
    BusError: "unavailable.bus",
}
RETRY_AFTER_SECONDS = 5
# The one place a domain error's kind becomes an HTTP status; the nearest kind in its MRO wins.
STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    Refused: 403,
    Gone: 410,
    Invalid: 422,
    Unavailable: 503,
    DomainError: 400,
}
# Texts the framework puts into HTTPException.detail itself, so they can be translated.
_FRAMEWORK_DETAILS = {
    "There was an error parsing the body": "request.invalid_body",
    "Content Too Large": "status.413",
}


class FieldErrorDetails(BaseModel):
    field: str = Field(description='Dotted path of the bad input ("" is the whole body)')
    code: str = Field(description="Catalogue key or Pydantic error type")
    message: str


class ProblemDetails(BaseModel):
    """The body of every error answer, as the OpenAPI documents declare it."""

    model_config = ConfigDict(title="Problem", extra="allow")

    type: str = Field(description="about:blank, or the problem's URI (stable: switch on it)")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="In the language negotiated from Accept-Language")
    instance: str = Field(description="The path that was asked for")
    errors: list[FieldErrorDetails] = Field(
        default_factory=list, description="Each bad input, when the problem is about inputs"
    )


class Problem(Exception):
    """The HTTP layer's refusal (auth guards, request checks, limits): ``detail`` is
    ``t(code, lang, **params)``. Domain code and handlers raise a ``DomainError`` instead.

    ``status`` must be 4xx or 5xx. ``status`` and ``code`` are positional-only, so
    ``params`` may use any other name (``code=``, ``id=``) except ``errors``,
    ``headers`` and ``extensions`` (extra members of the body, never overriding the
    standard ones). ``headers`` are sent as given (a 401 without ``WWW-Authenticate`` gets
    ``Bearer``).
    """

    def __init__(
        self,
        status: int,
        code: str,
        /,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"a problem needs a 4xx or 5xx status, not {status}")
        # The message stays the code: logs must not depend on the caller's language.
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.errors: list[FieldError] = list(errors or [])
        self.headers: dict[str, str] = dict(headers or {})
        # RFC 9457 §3.2 extension members (e.g. suggestions), added beside the standard ones.
        self.extensions: dict[str, Any] = dict(extensions or {})
        self.params = params


def field_problem(field: str, code: str, /, status: int = 422, **params: Any) -> Problem:
    """A problem about one bad field, for ``raise field_problem("category", "intake.x")``.

    ``detail`` and the field's message are both the text of ``code``; ``field`` and
    ``code`` are positional-only, so ``params`` may be named ``code`` too.
    """
    return Problem(status, code, errors=[FieldError(field, code, params)], **params)


def status_of(error: DomainError | type[DomainError]) -> int:
    """The HTTP status that answers ``error`` (or errors of that kind): ``STATUS_OF``'s
    entry for the nearest kind it is."""
    kind = error if isinstance(error, type) else type(error)
    return next(STATUS_OF[k] for k in kind.__mro__ if k in STATUS_OF)


def problem_type(code: str) -> str:
    """The ``type`` URI of a catalogue code (see the module docstring)."""
    return "about:blank" if code.startswith("status.") else PROBLEM_TYPE_BASE + code


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error ``app`` returns a problem in the caller's language.

    Covers :class:`Problem`; every :class:`DomainError` (status by its kind, ``STATUS_OF``);
    request validation (422; 400 ``request.invalid_body`` when the JSON does not parse; 415
    when the body was not sent as JSON); Starlette/FastAPI
    ``HTTPException``, including the router's own 404 and 405 (status and headers kept,
    a catalogue-key detail translated, other text kept); the database or the bus being
    unreachable (503 with ``Retry-After``, see ``UNAVAILABLE``); and any other exception
    (500, logged, its text never sent).
    In ``debug`` mode Starlette shows tracebacks for the last case instead.
    """
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    for away in UNAVAILABLE:
        app.add_exception_handler(away, _on_peer_away)
    app.add_exception_handler(Exception, _on_unexpected)


def render_problem(request: Request, problem: Problem) -> Response:
    """The response for ``problem``, for code that answers outside the exception handlers
    (a middleware refusing a request before the app sees it)."""
    return _on_problem(request, problem)


def _on_problem(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, Problem):
        return _on_unexpected(request, exc)
    return _respond(
        request,
        exc.status,
        exc.code,
        exc.params,
        errors=exc.errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


def _on_domain_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, DomainError):
        return _on_unexpected(request, exc)
    return _respond(
        request, status_of(exc), exc.code, exc.params, exc.errors, extensions=exc.details
    )


def _on_validation_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        return _on_unexpected(request, exc)
    raw = exc.errors()
    if any(_is_unparsable_body(error) for error in raw):
        return _respond(request, 400, "request.invalid_body", {})
    if any(_is_unread_body(error) for error in raw):
        return _respond(request, 415, "status.415", {})
    errors = [_from_pydantic(error) for error in raw]
    return _respond(request, 422, "request.validation_failed", {"count": len(errors)}, errors)


def _on_http_exception(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        return _on_unexpected(request, exc)
    headers = dict(exc.headers or {})
    # Not an error (e.g. 304 from a cache check): nothing to explain, and no body allowed.
    if exc.status_code < 400:
        return Response(status_code=exc.status_code, headers=headers)
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    code, detail = _classify_detail(exc.status_code, exc.detail)
    return _respond(request, exc.status_code, code, {}, headers=headers, detail=detail)


def _allowed_methods(request: Request) -> str:
    """Every method the resource takes: the router names only those of the first route
    whose path matched, and a path often has one route per method."""
    from services.common.openapi import documented_methods  # it builds on this module

    documented = documented_methods(request.app, request.scope)
    if documented is not None:
        return ", ".join(documented)
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _on_peer_away(request: Request, exc: Exception) -> Response:
    code = next((c for kind, c in UNAVAILABLE.items() if isinstance(exc, kind)), None)
    if code is None:
        return _on_unexpected(request, exc)
    # The driver's text may quote the statement and its parameters: not logged.
    logger.warning(
        "%s unreachable on %s %s: %s",
        code.removeprefix("unavailable."),
        request.method,
        request.url.path,
        type(exc).__name__,
    )
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return _respond(request, 503, code, {"seconds": RETRY_AFTER_SECONDS}, headers=headers)


def _on_unexpected(request: Request, exc: Exception) -> Response:
    # Only method and path: the query string may hold personal data.
    logger.exception(
        "unhandled %s on %s %s",
        type(exc).__name__,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return _respond(request, 500, "status.500", {})


def _classify_detail(status: int, detail: Any) -> tuple[str, str | None]:
    """(catalogue code, untranslatable detail text or None) for an HTTPException."""
    if isinstance(detail, str) and detail in MESSAGES:
        return detail, None
    if isinstance(detail, str) and detail in _FRAMEWORK_DETAILS:
        return _FRAMEWORK_DETAILS[detail], None
    if not isinstance(detail, str) or not detail or detail == _phrase(status):
        return f"status.{status}", None
    return f"status.{status}", detail


def _is_unparsable_body(error: Mapping[str, Any]) -> bool:
    # FastAPI reports a body that is not JSON as json_invalid at ("body", <offset>);
    # a Json[...] field that does not parse has a field name there instead.
    loc = tuple(error.get("loc", ()))
    return (
        error.get("type") == "json_invalid"
        and loc[:1] == ("body",)
        and all(isinstance(part, int) for part in loc[1:])
    )


def _is_unread_body(error: Mapping[str, Any]) -> bool:
    # FastAPI hands the model raw bytes when the Content-Type is not JSON.
    return tuple(error.get("loc", ())) == ("body",) and isinstance(error.get("input"), bytes)


def _from_pydantic(error: Mapping[str, Any]) -> FieldError:
    loc = list(error.get("loc", ()))
    if loc[:1] == ["body"]:
        loc = loc[1:]
    return FieldError(
        ".".join(str(part) for part in loc), str(error["type"]), error.get("ctx") or {}
    )


def _respond(
    request: Request,
    status: int,
    code: str,
    params: Mapping[str, Any],
    errors: Sequence[FieldError] = (),
    *,
    headers: Mapping[str, str] | None = None,
    detail: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Response:
    lang = negotiate(request.headers.get("accept-language"))
    body: dict[str, Any] = {**(extensions or {})}
    body |= {
        "type": problem_type(code),
        "title": _title(status, lang),
        "status": status,
        "detail": detail if detail is not None else _detail(code, lang, params),
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = [_render_field(error, lang) for error in errors]
    response = JSONResponse(body, status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)
    response.headers["Content-Language"] = CONTENT_LANGUAGE[lang]
    response.headers.add_vary_header("Accept-Language")
    if status == 401 and "www-authenticate" not in response.headers:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _title(status: int, lang: Lang) -> str:
    for key in (f"status.{status}", f"status.{status // 100}xx"):
        if key in MESSAGES:
            return t(key, lang)
    return _phrase(status) or str(status)


def _detail(code: str, lang: Lang, params: Mapping[str, Any]) -> str:
    if code.startswith("status.") and f"{code}.detail" in MESSAGES:
        return t(f"{code}.detail", lang, **params)
    if code.startswith("status."):
        return _title(int(code.removeprefix("status.")), lang)
    # An unregistered domain code shows as itself rather than as a misleading generic text.
    key = _message_key(code)
    return t(code if key == "validation.unknown" else key, lang, **params)


def _render_field(error: FieldError, lang: Lang) -> dict[str, str]:
    params = _localise_params(error.code, error.params, lang)
    return {
        "field": error.field,
        "code": error.code,
        "message": t(_message_key(error.code), lang, **params),
    }


def _message_key(code: str) -> str:
    """The catalogue key for a code: itself, its ``validation.`` entry, or the fallback."""
    if code in MESSAGES:
        return code
    if f"validation.{code}" in MESSAGES:
        return f"validation.{code}"
    return "validation.unknown"


def _localise_params(code: str, params: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    out = {str(name): value for name, value in params.items()}
    error = out.get("error")
    # A validator may raise ValueError("intake.unknown_category") to get a translated text.
    if code in ("value_error", "assertion_error") and str(error) in MESSAGES:
        out["error"] = t(str(error), lang, **out)
    expected = out.get("expected")
    if lang == "zh" and isinstance(expected, str):
        # Pydantic joins the allowed values in English: "'a', 'b' or 'c'".
        out["expected"] = " 或 ".join(expected.rsplit(" or ", 1))
    return out


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""

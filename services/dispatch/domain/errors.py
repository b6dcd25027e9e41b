"""Why a command was refused, in terms the API can translate. Pure."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """The rules do not allow this command now; nothing was changed.

    `code` is a message key, `status` the HTTP status that fits (409: the state forbids it,
    422: the input is wrong, 404: no such thing for this caller), `field` the input at fault.
    """

    def __init__(self, code: str, status: int = 409, field: str | None = None, /, **params: Any):
        super().__init__(code)
        self.code = code
        self.status = status
        self.field = field
        self.params = params


class Invalid(Exception):
    """Input that breaks several rules at once: (field, message code, params) for each."""

    def __init__(self, problems: list[tuple[str, str, dict[str, Any]]]):
        super().__init__(", ".join(code for _, code, _ in problems))
        self.problems = problems

"""Refusals from the use cases become problem details in the caller's language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.common.problems import FieldError, Problem
from services.dispatch.domain.errors import Invalid, Refused


@contextmanager
def refusals() -> Iterator[None]:
    """Runs a use case; a Refused or Invalid leaves as a 4xx problem (nothing was saved)."""
    try:
        yield
    except Refused as exc:
        errors = [FieldError(exc.field, exc.code, exc.params)] if exc.field else None
        raise Problem(exc.status, exc.code, errors=errors, **exc.params) from exc
    except Invalid as exc:
        errors = [FieldError(f, code, params) for f, code, params in exc.problems]
        raise Problem(422, "request.validation_failed", errors=errors, count=len(errors)) from exc

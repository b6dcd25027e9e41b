"""Why a use case said no, in terms the message catalogue translates. Pure: no HTTP here.

Domain code and handlers raise one of the kinds below; the HTTP layer maps each kind to a
status in one place (``services.common.problems.STATUS_OF``). ``code`` is a catalogue key
(services/common/i18n.py) and ``params`` fill its text; nothing was changed when one is raised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad input: ``field`` is a dotted path (``caller.phone``, ``items.0.name``,
    ``query.page``; ``""`` is the whole body); ``code`` is a catalogue key or a Pydantic
    error type (looked up as ``validation.<code>``); ``params`` fill its template."""

    field: str
    code: str
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)


class DomainError(Exception):
    """A refusal with a catalogue ``code``; raise one of its kinds, not this class.

    ``code`` is positional-only, so ``params`` may use any other name except ``field``
    (the input at fault: it gets the same message), ``errors`` (further inputs at fault) and
    ``details`` (data the caller can act on, e.g. suggested addresses; never the message).
    """

    def __init__(
        self,
        code: str,
        /,
        *,
        field: str | None = None,
        errors: Sequence[FieldError] = (),
        details: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        # The message stays the code: logs must not depend on the caller's language.
        super().__init__(code)
        self.code = code
        self.params = params
        at_fault = [FieldError(field, code, params)] if field is not None else []
        self.errors: list[FieldError] = at_fault + list(errors)
        self.details: dict[str, Any] = dict(details or {})

    @property
    def field(self) -> str | None:
        """The first input at fault, if the refusal is about one."""
        return self.errors[0].field if self.errors else None


class NotFound(DomainError):
    """No such thing, or none this caller may see."""


class Conflict(DomainError):
    """The thing's present state forbids the command (already done, changed meanwhile)."""


class Refused(DomainError):
    """This caller may not do this to this thing, whatever its state."""


class Gone(DomainError):
    """The thing existed and is no longer usable (an expired or replaced link)."""


class Invalid(DomainError):
    """The input breaks a rule of the domain."""

    @classmethod
    def fields(cls, errors: Sequence[FieldError]) -> Invalid:
        """Input that breaks several rules at once, each named with its field."""
        return cls("request.validation_failed", errors=errors, count=len(errors))


class Unavailable(DomainError):
    """Something the use case needs cannot answer now; trying again later may work."""

"""Free text as people type it, without the characters that only do harm once stored.

Removed, not refused: control characters (C0 but tab and newline, DEL, C1) and the
bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069). None of them is
something a caller said; they arrive pasted from other programs, or on purpose: NUL cuts
strings short in C code and some databases, ESC starts terminal sequences in a log
viewer, and U+202E makes "exe.txt" read as "txt.exe" on a page or in an export. Refusing
them would make an agent retype a call for a character they cannot see. A carriage return
goes too, so Windows line ends become plain newlines.

Every request model's free-text field is a `CleanText`. Its limits hold for the text as sent
(as the API documents declare them) and for what is left after cleaning (a text of control
characters alone is empty):

    description: CleanText = Field(min_length=1, max_length=4000)

A reusable constrained type puts `CLEAN` after its constraints, so that they apply to the
string inside and keep their messages ("at most 2000 characters"):

    Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), CLEAN]
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ValidatorFunctionWrapHandler, WrapValidator

_C0 = [c for c in range(0x20) if chr(c) not in "\t\n"]
_C1 = list(range(0x7F, 0xA0))  # DEL and C1
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_REMOVED: dict[int, None] = dict.fromkeys([*_C0, *_C1, *_BIDI])


def clean(text: str) -> str:
    """`text` without control characters and bidirectional overrides or isolates."""
    return text.translate(_REMOVED)


def _cleaned(value: Any, validate: ValidatorFunctionWrapHandler) -> Any:
    # The text as sent must keep the declared limits (the API's documents say so), and the
    # text as kept must keep them too: "\x00" alone is as empty as "".
    checked = validate(value)
    return validate(clean(checked)) if isinstance(checked, str) else checked


CLEAN = WrapValidator(_cleaned)
CleanText = Annotated[str, CLEAN]

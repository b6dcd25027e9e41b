"""The one clock every service reads: aware UTC, so stored and compared times never mix zones.

Use cases take it as a default (`clock: Callable[[], datetime] = utcnow`) so tests pass their own.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)

"""One-time codes texted to a citizen's number, and how often a number or a client address
may ask for them or report. Pure: no I/O, no clock of its own.

A code is 6 digits, good for 5 minutes and 5 attempts; it is kept only as a keyed hash, so
a copy of the table gives no code away. A verified code for reporting yields a proof (a
random token, kept hashed) that the number is the citizen's: good for one report within
30 minutes, so a form refused for a wrong field is fixed and sent again without a new text.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
PROOF_TTL = timedelta(minutes=30)

Purpose = Literal["report", "track"]


@dataclass(frozen=True)
class Limit:
    """At most `count` in any `window`."""

    count: int
    window: timedelta

    def since(self, now: datetime) -> datetime:
        return now - self.window

    def exceeded_by(self, recent: int) -> bool:
        """Whether one more on top of `recent` (those since `since(now)`) is too many."""
        return recent >= self.count


# A citizen asks again when a text is slow; a bot asks for every number it knows.
CODES_PER_NUMBER = Limit(5, timedelta(hours=1))
CODES_PER_CLIENT = Limit(20, timedelta(hours=1))
# A family or an office may share an address; one number reports a few problems a day.
REPORTS_PER_NUMBER = Limit(10, timedelta(days=1))
REPORTS_PER_CLIENT = Limit(30, timedelta(days=1))
# Codes are kept as long as the longest window counts them, then forgotten.
KEPT = max(
    CODES_PER_NUMBER.window,
    CODES_PER_CLIENT.window,
    REPORTS_PER_NUMBER.window,
    REPORTS_PER_CLIENT.window,
)


@dataclass(frozen=True)
class Code:
    id: str
    purpose: Purpose
    phone_key: str
    client_key: str
    ticket_id: str | None
    code_hash: str
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    verified_at: datetime | None = None
    proof_hash: str | None = None
    used_at: datetime | None = None


Refusal = Literal["expired", "exhausted", "used", "wrong"]


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(secret: str, code_id: str, code: str) -> str:
    """Keyed by the service's secret and bound to the code's id: no table of the million
    codes' hashes opens every row."""
    return hmac.new(secret.encode(), f"otp:{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def client_key(secret: str, address: str) -> str:
    """A client address as it is counted: a keyed hash, since an address is personal data."""
    return hmac.new(secret.encode(), f"client:{address}".encode(), hashlib.sha256).hexdigest()


def new_proof() -> str:
    return secrets.token_urlsafe(24)


def proof_digest(proof: str) -> str:
    return hashlib.sha256(proof.encode()).hexdigest()


def issue(
    code_id: str,
    purpose: Purpose,
    phone_key: str,
    client: str,
    ticket_id: str | None,
    code_hash: str,
    now: datetime,
) -> Code:
    return Code(code_id, purpose, phone_key, client, ticket_id, code_hash, now, now + CODE_TTL)


def refusal(code: Code | None, now: datetime) -> Refusal | None:
    """Why the code may take no attempt now; None if it may. An unknown code reads as
    expired (the citizen's remedy is the same: ask for a new one)."""
    if code is None or now >= code.expires_at:
        return "expired"
    if code.verified_at is not None:
        return "used"
    if code.attempts >= MAX_ATTEMPTS:
        return "exhausted"
    return None


def attempts_left(code: Code) -> int:
    """After the attempt just counted (stored `attempts` includes it)."""
    return max(0, MAX_ATTEMPTS - code.attempts)


def matches(secret: str, code: Code, entered: str) -> bool:
    return hmac.compare_digest(code.code_hash, code_digest(secret, code.id, entered))


def proof_refusal(code: Code | None, phone_key: str, now: datetime) -> bool:
    """True when the proof cannot vouch for this number now: unknown, for another number or
    purpose, used, or older than PROOF_TTL."""
    return (
        code is None
        or code.purpose != "report"
        or code.phone_key != phone_key
        or code.verified_at is None
        or code.used_at is not None
        or now - code.verified_at > PROOF_TTL
    )

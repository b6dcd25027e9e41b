"""Citizens' tracking links and the timeline they open. Pure: no I/O, no clock of its own.

A tracking link is a signed ticket id plus the moment it was issued:
`/track/<ticket id>.<issued, ms base36>.<HMAC-SHA256, 128 bits, base64url>`.

Why signed rather than a random token stored hashed: a link is made wherever a text, an
email or an Open311 answer is written, often inside another transaction or none, and a
signed link needs no write (nor any table that grows with every text). Revocation is per
ticket: revoking records a moment, and every link issued before it stops working, while
links issued afterwards work (so a citizen who lost a phone gets a fresh link by number and
code). Links are long-lived (`TRACKING_DAYS`); the key is derived from intake's caller-key
secret, so no new secret has to be kept, and it never leaves intake.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TRACKING_DAYS = 400  # past the longest handling, reopening and rating window of a ticket
_TOKEN = re.compile(r"^([0-9a-f]{32})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$")


@dataclass(frozen=True)
class TrackingSigner:
    """Makes and checks tracking tokens; `base_url` is where citizens reach intake."""

    secret: str
    base_url: str
    lifetime: timedelta = timedelta(days=TRACKING_DAYS)

    def token(self, ticket_id: str, issued: datetime) -> str:
        stamp = _base36(int(issued.timestamp() * 1000))
        return f"{ticket_id}.{stamp}.{self._mac(ticket_id, stamp)}"

    def link(self, ticket_id: str, issued: datetime) -> str:
        return f"{self.base_url.rstrip('/')}/track/{self.token(ticket_id, issued)}"

    def read(self, token: str, now: datetime) -> Issued | None:
        """The ticket id and issue time of a well-signed, unexpired token; None otherwise
        (whether revoked is for the caller to check against the ticket's revocation)."""
        found = _TOKEN.match(token)
        if found is None:
            return None
        ticket_id, stamp, mac = found.groups()
        if not hmac.compare_digest(mac, self._mac(ticket_id, stamp)):
            return None
        issued = datetime.fromtimestamp(int(stamp, 36) / 1000, UTC)
        if issued > now + timedelta(minutes=5) or now - issued > self.lifetime:
            return None
        return Issued(ticket_id, issued)

    def _mac(self, ticket_id: str, stamp: str) -> str:
        key = hmac.new(self.secret.encode(), b"hotline-tracking-link", hashlib.sha256).digest()
        digest = hmac.new(key, f"{ticket_id}.{stamp}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


@dataclass(frozen=True)
class Issued:
    ticket_id: str
    issued: datetime

    def valid_after(self, revoked_at: datetime | None) -> bool:
        """Still good unless the ticket's links were revoked after this one was issued."""
        return revoked_at is None or self.issued > revoked_at


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out

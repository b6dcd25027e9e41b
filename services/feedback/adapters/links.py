"""Signed rating links: the token names an invitation and when it was signed, under an
HMAC-SHA256 signature (itsdangerous). Single use is the database's job, not the token's."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from services.common.clock import utcnow

SALT = "hotline.feedback.rating-link"


class ForgedLink(Exception):
    """The token was not signed by us, or was altered, truncated or malformed."""


@dataclass(frozen=True, slots=True)
class LinkClaim:
    invitation_id: str
    expired: bool


class _ClockedSigner(TimestampSigner):
    def __init__(self, secret: str, clock: Callable[[], datetime]) -> None:
        super().__init__(secret, salt=SALT, digest_method=hashlib.sha256)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock().timestamp())


class LinkSigner:
    """Signs invitation ids into URL-safe tokens and reads them back."""

    def __init__(self, secret: str, ttl: timedelta, clock: Callable[[], datetime] = utcnow) -> None:
        self._signer = _ClockedSigner(secret, clock)
        self._max_age = int(ttl.total_seconds())

    def sign(self, invitation_id: str) -> str:
        return self._signer.sign(invitation_id).decode()

    def read(self, token: str) -> LinkClaim:
        """The invitation a genuine token names, and whether it is past its age; raises
        ForgedLink for anything we did not sign."""
        try:
            value = self._signer.unsign(token, max_age=self._max_age)
            return LinkClaim(value.decode(), expired=False)
        except SignatureExpired as exc:
            # The signature is genuine (it was checked before the age was).
            return LinkClaim(_text(exc.payload), expired=True)
        except (BadSignature, UnicodeError) as exc:
            raise ForgedLink(str(exc)) from exc


def _text(payload: object) -> str:
    if not isinstance(payload, bytes):
        raise ForgedLink("no payload")
    return payload.decode()

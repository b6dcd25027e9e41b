"""Events every service publishes on `hotline.sessions`: sign-in failures and successes
(so a burst spread over the services is throttled everywhere) and revoked sessions (so a
signed-out token is refused everywhere). They concern no ticket: the envelope's subject
(its `ticket_id` field and the partition key) is `account:<hash>` or `session:<id>`, so
one account's events stay in order."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from proto.envelope import Event

SESSIONS = "hotline.sessions"
ACCOUNT_MAX = 150


class SignInFailed(Event):
    """A wrong password or an unknown account; never carries the password itself."""

    TYPE = "SignInFailed"
    TOPIC = SESSIONS

    account: str = Field(max_length=ACCOUNT_MAX, description="The username as typed")
    address: str = Field(
        max_length=64, description="Keyed hash of the client address, never the address"
    )
    at: AwareDatetime


class SignInSucceeded(Event):
    """The account signed in: its failures are forgiven (the address's are not)."""

    TYPE = "SignInSucceeded"
    TOPIC = SESSIONS

    account: str = Field(max_length=ACCOUNT_MAX)
    at: AwareDatetime


class SessionRevoked(Event):
    """The session signed out: its tokens are refused until they would have expired."""

    TYPE = "SessionRevoked"
    TOPIC = SESSIONS

    session_id: str = Field(max_length=64)
    username: str = Field(max_length=ACCOUNT_MAX)
    expires_at: AwareDatetime = Field(description="When the session's tokens expire anyway")
    at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (SignInFailed, SignInSucceeded, SessionRevoked)

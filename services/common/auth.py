"""Who is calling: accounts from a TOML file, HS256 bearer tokens, and FastAPI guards.

Every service mounts `auth_router()` and protects routes with `CurrentUser` or
`require_roles(...)`. All services share `jwt_secret`, so a token issued by one is accepted
by all. Per-object authorization (a department touching only its own assignments) belongs
to each service layer, which reads `Principal.department`.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
import time
import tomllib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import jwt
from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pwdlib import PasswordHash
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from services.common.problems import Problem
from services.common.settings import Settings

TOKEN_COOKIE = "hotline_token"
TOKEN_PATH = "/api/v1/auth/token"
ISSUER = "hotline"
ALGORITHM = "HS256"
# RFC 7518 §3.2: an HS256 key shorter than the hash output weakens the signature.
MIN_SECRET_BYTES = 32
VERIFIED_TOKENS_KEPT = 4096


class Role(StrEnum):
    agent = "agent"
    dispatcher = "dispatcher"
    dept_staff = "dept_staff"
    leader = "leader"
    admin = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated account; `department` is set exactly when the role is dept_staff."""

    username: str
    name: str
    role: Role
    department: str | None = None


class InvalidToken(Exception):
    """The token is malformed, forged, expired or was not issued by Hotline."""


class UserRecord(BaseModel):
    """One `[[users]]` entry; an empty `department` means none."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(min_length=1)
    name: str = Field(min_length=1)
    role: Role
    department: str | None = None
    password_hash: str = Field(pattern=r"^\$argon2(id|i|d)\$")

    @field_validator("department", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return value or None

    @model_validator(mode="after")
    def _department_matches_role(self) -> UserRecord:
        # A stray department on a leader or agent would silently change what per-object
        # checks let them see, so a mismatch is a configuration error.
        if self.role is Role.dept_staff and self.department is None:
            raise ValueError(f"user {self.username!r}: dept_staff needs a department")
        if self.role is not Role.dept_staff and self.department is not None:
            raise ValueError(f"user {self.username!r}: only dept_staff has a department")
        return self

    def principal(self) -> Principal:
        return Principal(self.username, self.name, self.role, self.department)


class _UserFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: list[UserRecord]

    @field_validator("users")
    @classmethod
    def _unique_usernames(cls, users: list[UserRecord]) -> list[UserRecord]:
        seen: set[str] = set()
        for user in users:
            if user.username in seen:
                raise ValueError(f"username {user.username!r} appears twice")
            seen.add(user.username)
        return users


class UserDirectory:
    """The accounts allowed to sign in, validated once when loaded."""

    def __init__(self, records: Iterable[UserRecord], hasher: PasswordHash | None = None) -> None:
        self._records = {record.username: record for record in records}
        self._hasher = hasher or PasswordHash.recommended()
        # Unknown usernames are verified against a real hash of the same cost, so the
        # response time does not reveal which accounts exist.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    @classmethod
    def load(cls, path: Path) -> UserDirectory:
        """Read a users file; raises ValueError naming the file for bad TOML or entries."""
        with path.open("rb") as handle:
            try:
                parsed = _UserFile.model_validate(tomllib.load(handle))
            except (tomllib.TOMLDecodeError, ValidationError) as exc:
                raise ValueError(f"{path}: {exc}") from exc
        return cls(parsed.users)

    def authenticate(self, username: str, password: str) -> Principal | None:
        """The account if the password matches; None for a wrong password or user alike."""
        record = self._records.get(username)
        if record is None:
            self._hasher.verify(password, self._dummy_hash)
            return None
        if not self._hasher.verify(password, record.password_hash):
            return None
        return record.principal()


class _Claims(BaseModel):
    sub: str = Field(min_length=1)
    name: str
    role: Role
    dept: str | None = None


class TokenService:
    """Issues and verifies HS256 JWTs carrying a Principal."""

    def __init__(self, secret: str, ttl_minutes: int) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the token secret needs at least {MIN_SECRET_BYTES} bytes")
        if ttl_minutes <= 0:
            raise ValueError("token_ttl_minutes must be positive")
        self._secret = secret
        self.ttl = timedelta(minutes=ttl_minutes)
        # Tokens already verified, with their expiry: an agent's console sends the same
        # token hundreds of times, and checking its signature and claims again is a
        # noticeable share of a call's CPU. Bounded, and dropped whole when full.
        self._verified: dict[str, tuple[Principal, float]] = {}

    @property
    def ttl_seconds(self) -> int:
        return int(self.ttl.total_seconds())

    def issue(self, principal: Principal, *, now: datetime | None = None) -> str:
        """A signed token for `principal`, valid for the TTL from `now` (default: now)."""
        issued_at = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": principal.username,
            "name": principal.name,
            "role": principal.role.value,
            "dept": principal.department,
            "iat": issued_at,
            "exp": issued_at + self.ttl,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The token's Principal; raises InvalidToken if it is bad in any way."""
        known = self._verified.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        principal, expires = self._decode(token)
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            self._verified = {}
        self._verified[token] = (principal, expires)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        try:
            raw = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "iss", "sub"]},
            )
            claims = _Claims.model_validate(raw)
        except (jwt.PyJWTError, ValidationError) as exc:
            raise InvalidToken(str(exc)) from exc
        principal = Principal(claims.sub, claims.name, claims.role, claims.dept)
        return principal, float(raw["exp"])


@dataclass(frozen=True, slots=True)
class AuthContext:
    """What the auth routes and guards need; services put it on `app.state.auth`."""

    directory: UserDirectory
    tokens: TokenService
    # Browsers drop Secure cookies on plain http, which the embedded profile serves.
    secure_cookie: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthContext:
        return cls(
            directory=UserDirectory.load(settings.users_file),
            tokens=TokenService(settings.jwt_secret, settings.token_ttl_minutes),
            secure_cookie=settings.profile == "production",
        )


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")
    role: Role
    department: str | None
    name: str


def _problem(status: int, code: str, **params: Any) -> Problem:
    # RFC 6750: a 401 names the scheme the client should retry with.
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Problem(status, code, headers=headers, **params)


def auth_context(request: Request) -> AuthContext:
    """The app's AuthContext; a missing one is a wiring bug, hence not an HTTP error."""
    context = getattr(request.app.state, "auth", None)
    if not isinstance(context, AuthContext):
        raise RuntimeError("app.state.auth must be an AuthContext (AuthContext.from_settings)")
    return context


_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_PATH, auto_error=False)


async def current_principal(
    request: Request, bearer: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    """The caller from `Authorization: Bearer`, else the cookie; 401 when absent or bad."""
    token = bearer or request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise _problem(401, "auth.missing_token")
    try:
        return auth_context(request).tokens.verify(token)
    except InvalidToken as exc:
        raise _problem(401, "auth.invalid_token") from exc


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency yielding the caller if their role is listed; admin always passes."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = frozenset(roles) | {Role.admin}
    needed = ", ".join(sorted(role.value for role in allowed))

    async def guard(principal: CurrentUser) -> Principal:
        if principal.role not in allowed:
            raise _problem(403, "auth.forbidden_role", role=principal.role.value, allowed=needed)
        return principal

    return guard


def _set_token_cookie(response: Response, token: str, context: AuthContext) -> None:
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=context.tokens.ttl_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=context.secure_cookie,
    )


# Plain `def` on purpose: argon2 verification blocks for tens of milliseconds, and FastAPI
# runs sync endpoints in its thread pool instead of on the event loop.
def issue_token(
    request: Request,
    response: Response,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> TokenResponse:
    """Sign in: the token in the body for API clients and in an HttpOnly cookie for pages."""
    context = auth_context(request)
    principal = context.directory.authenticate(form.username, form.password)
    if principal is None:
        # One answer for an unknown user and a wrong password: no account enumeration.
        raise _problem(401, "auth.invalid_credentials")
    token = context.tokens.issue(principal)
    _set_token_cookie(response, token, context)
    return TokenResponse(
        access_token=token,
        expires_in=context.tokens.ttl_seconds,
        role=principal.role,
        department=principal.department,
        name=principal.name,
    )


async def logout(request: Request, response: Response) -> None:
    """Forget the cookie; bearer tokens stay valid until they expire (they are stateless)."""
    response.delete_cookie(
        TOKEN_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=auth_context(request).secure_cookie,
    )


class Me(BaseModel):
    username: str
    name: str
    role: Role
    department: str | None


async def me(principal: CurrentUser) -> Me:
    """Who the token or cookie belongs to; pages use it to greet and to choose what to show."""
    return Me(
        username=principal.username,
        name=principal.name,
        role=principal.role,
        department=principal.department,
    )


def auth_router() -> APIRouter:
    """`POST /api/v1/auth/token` (OAuth2 password form), `POST /api/v1/auth/logout` and
    `GET /api/v1/auth/me`."""
    router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
    router.add_api_route("/token", issue_token, methods=["POST"], response_model=TokenResponse)
    router.add_api_route("/logout", logout, methods=["POST"], status_code=204)
    router.add_api_route("/me", me, methods=["GET"], response_model=Me)
    return router


def _hash_command() -> int:
    password = getpass.getpass("Password: ")
    if not password:
        print("The password must not be empty.", file=sys.stderr)
        return 1
    if getpass.getpass("Repeat: ") != password:
        print("The passwords differ.", file=sys.stderr)
        return 1
    print(PasswordHash.recommended().hash(password))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.auth")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("hash", help="read a password and print its argon2 hash for a users file")
    parser.parse_args(argv)
    return _hash_command()


if __name__ == "__main__":
    sys.exit(main())

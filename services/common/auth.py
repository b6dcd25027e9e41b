"""Who is calling: accounts from a TOML file, HS256 bearer tokens, and FastAPI guards.

Every service mounts `auth_router()` and protects routes with `CurrentUser` or
`require_roles(...)`. All services share `jwt_secret`, so a token issued by one is accepted
by all. Per-object authorization (a department touching only its own assignments) belongs
to each service layer, which reads `Principal.department`.

Each token names its session (`sid`); signing out revokes the session on every service.
Failed sign-ins are throttled per account and per client address before the password is
hashed (services.common.signin).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
import tomllib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import jwt
from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pwdlib import PasswordHash
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from proto import vocabulary
from proto.sessions import ACCOUNT_MAX
from services.common import metrics
from services.common.clients import Networks, client_address, trusted_networks
from services.common.problems import Problem
from services.common.settings import Settings
from services.common.signin import MemorySessions, SessionStore, SignInGuard
from services.common.throttle import ThrottlePolicy

log = logging.getLogger(__name__)

TOKEN_COOKIE = "hotline_token"
TOKEN_PATH = "/api/v1/auth/token"
ISSUER = "hotline"
ALGORITHM = "HS256"
# RFC 7518 §3.2: an HS256 key shorter than the hash output weakens the signature.
MIN_SECRET_BYTES = 32
VERIFIED_TOKENS_KEPT = 4096
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Role(StrEnum):
    """An account's role: the vocabulary's `Role`, whose values these members are (spelled
    out because type checkers read `Role.dispatcher` only from a written member); the import
    fails if they ever differ."""

    agent = "agent"
    dispatcher = "dispatcher"
    dept_staff = "dept_staff"
    leader = "leader"
    admin = "admin"


if tuple(Role) != vocabulary.values("role"):
    raise RuntimeError("services.common.auth.Role must be the vocabulary's Role, in its order")


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
    # A disabled account cannot sign in, and its open sessions are refused.
    disabled: bool = False
    # Sessions signed in before or in this second are refused (set by a password reset).
    sessions_after: datetime | None = None

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


def parse_users(data: dict[str, Any], path: Path) -> list[UserRecord]:
    """The accounts of a parsed users file; raises ValueError naming the file."""
    try:
        return _UserFile.model_validate(data).users
    except ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def _read_users(path: Path) -> list[UserRecord]:
    with path.open("rb") as handle:
        try:
            data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: {exc}") from exc
    return parse_users(data, path)


def _signature(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is edited or replaced; None when it cannot be read."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size, found.st_ino


class UserDirectory:
    """The accounts allowed to sign in, validated when loaded. One loaded from a file
    reads it again when it changes (a stat per question: accounts are edited while the
    services run, and a disabled account must be refused at once); a file that no longer
    parses is logged and the accounts read before are kept."""

    def __init__(
        self,
        records: Iterable[UserRecord],
        hasher: PasswordHash | None = None,
        path: Path | None = None,
    ) -> None:
        self._records = {record.username: record for record in records}
        self._hasher = hasher or PasswordHash.recommended()
        self._dummy: str | None = None
        self._path = path
        self._seen = _signature(path) if path else None
        self._lock = threading.Lock()

    def _current(self) -> dict[str, UserRecord]:
        if self._path is None:
            return self._records
        seen = _signature(self._path)
        if seen is None or seen == self._seen:
            return self._records
        with self._lock:
            if seen != self._seen:
                self._reload(seen)
        return self._records

    def _reload(self, seen: tuple[int, int, int]) -> None:
        assert self._path is not None
        self._seen = seen
        try:
            records = _read_users(self._path)
        except (OSError, ValueError) as exc:
            log.error("users file not reloaded, the accounts read before stay: %s", exc)
            return
        self._records = {record.username: record for record in records}
        log.info("users file reloaded", extra={"fields": {"accounts": len(records)}})

    def _dummy_hash(self) -> str:
        """Unknown usernames are verified against a real hash of the same cost, so the
        response time does not reveal which accounts exist; made on first need, since a
        hash costs a fifth of a second that a restarting service should not spend."""
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    @classmethod
    def load(cls, path: Path) -> UserDirectory:
        """Read a users file; raises ValueError naming the file for bad TOML or entries."""
        seen = _signature(path)
        directory = cls(_read_users(path), path=path)
        directory._seen = seen  # an edit while it was read is read again next time
        return directory

    def knows(self, username: str) -> bool:
        return username in self._current()

    def authenticate(self, username: str, password: str) -> Principal | None:
        """The account if the password matches; None for a wrong password, an unknown
        user or a disabled account alike."""
        record = self._current().get(username)
        if record is None or record.disabled:
            self._hasher.verify(password, self._dummy_hash())
            return None
        if not self._hasher.verify(password, record.password_hash):
            return None
        return record.principal()

    def refuses(self, token: TokenInfo) -> bool:
        """Whether a token's account may no longer act: disabled, its role or department
        changed since the token was issued, or its password reset after (its holder signs
        in again). Accounts the file does not list are left to the token's signature and
        expiry."""
        principal = token.principal
        record = self._current().get(principal.username)
        if record is None:
            return False
        changed = (record.role, record.department) != (principal.role, principal.department)
        reset = record.sessions_after is not None and token.issued <= record.sessions_after
        return record.disabled or changed or reset


class _Claims(BaseModel):
    sub: str = Field(min_length=1)
    name: str
    role: Role
    dept: str | None = None
    sid: str = Field(min_length=1, max_length=64)
    jti: str = Field(min_length=1, max_length=64)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A verified token: whose it is, its session, and when it expires (epoch seconds)."""

    principal: Principal
    session_id: str
    expires: float
    issued: datetime = EPOCH

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)


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
        # noticeable share of a call's CPU. Bounded, and dropped whole when full. Revocation
        # is checked after this cache, on every request (AuthContext.principal).
        self._verified: dict[str, TokenInfo] = {}

    @property
    def ttl_seconds(self) -> int:
        return int(self.ttl.total_seconds())

    def issue(
        self, principal: Principal, *, now: datetime | None = None, session_id: str | None = None
    ) -> str:
        """A signed token for `principal`, valid for the TTL from `now` (default: now), in
        a new session unless `session_id` names one."""
        issued_at = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "sid": session_id or secrets.token_urlsafe(16),
            "jti": secrets.token_urlsafe(16),
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
        """The token's Principal; raises InvalidToken if it is bad in any way. Says nothing
        of revocation: that is AuthContext.principal."""
        return self.read(token).principal

    def read(self, token: str) -> TokenInfo:
        """The verified token; raises InvalidToken if it is bad in any way."""
        known = self._verified.get(token)
        if known is not None and time.time() < known.expires:
            return known
        info = self._decode(token)
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            self._verified = {}
        self._verified[token] = info
        return info

    def _decode(self, token: str) -> TokenInfo:
        try:
            raw = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "iss", "sub", "sid", "jti"]},
            )
            claims = _Claims.model_validate(raw)
        except (jwt.PyJWTError, ValidationError) as exc:
            raise InvalidToken(str(exc)) from exc
        principal = Principal(claims.sub, claims.name, claims.role, claims.dept)
        issued = datetime.fromtimestamp(float(raw["iat"]), UTC)
        return TokenInfo(principal, claims.sid, float(raw["exp"]), issued)


@dataclass(frozen=True, slots=True)
class AuthContext:
    """What the auth routes and guards need; services put it on `app.state.auth`.

    Without a database the guard keeps its state in memory (`with_store` shares it)."""

    directory: UserDirectory
    tokens: TokenService
    # Browsers drop Secure cookies on plain http, which the embedded profile serves.
    secure_cookie: bool = False
    guard: SignInGuard = field(default_factory=lambda: SignInGuard(MemorySessions()))
    proxies: Networks = ()
    # Client addresses travel and rest only as keyed hashes; every service derives the
    # same key, so an address counts the same everywhere.
    address_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthContext:
        policy = ThrottlePolicy(
            free_per_account=settings.sign_in_free_failures,
            free_per_address=settings.sign_in_free_failures_per_address,
            max_delay=timedelta(seconds=settings.sign_in_max_delay_seconds),
            memory=timedelta(minutes=settings.sign_in_memory_minutes),
        )
        return cls(
            directory=UserDirectory.load(settings.users_file),
            tokens=TokenService(settings.jwt_secret, settings.token_ttl_minutes),
            secure_cookie=settings.profile == "production",
            guard=SignInGuard(MemorySessions(), policy),
            proxies=trusted_networks(settings.trusted_proxies),
            address_key=hmac.digest(settings.jwt_secret.encode(), b"client-address", "sha256"),
        )

    def with_store(self, store: SessionStore) -> AuthContext:
        """The same context, its sign-in state and revocations kept by `store`."""
        return replace(self, guard=SignInGuard(store, self.guard.policy))

    def hashed(self, address: str) -> str:
        return hmac.new(self.address_key, address.encode(), hashlib.sha256).hexdigest()[:32]

    def principal(self, token: str) -> Principal:
        """The token's Principal unless it is bad, expired or its session was revoked."""
        info = self.tokens.read(token)
        if self.guard.store.is_revoked(info.session_id):
            raise InvalidToken("the session was signed out")
        if self.directory.refuses(info):
            raise InvalidToken("the account was disabled or changed")
        return info.principal


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
        return auth_context(request).principal(token)
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
    """Sign in: the token in the body for API clients and in an HttpOnly cookie for pages.
    429 after repeated failures for the account or the address, before any hashing."""
    context = auth_context(request)
    principal = _check_password(context, form, client_address(request, context.proxies))
    token = context.tokens.issue(principal)
    _set_token_cookie(response, token, context)
    return TokenResponse(
        access_token=token,
        expires_in=context.tokens.ttl_seconds,
        role=principal.role,
        department=principal.department,
        name=principal.name,
    )


def _check_password(
    context: AuthContext, form: OAuth2PasswordRequestForm, address: str
) -> Principal:
    account = form.username[:ACCOUNT_MAX]
    admission = context.guard.admit(account, context.hashed(address))
    if admission.wait:
        _refuse(account, address, "throttled")
        seconds = max(1, math.ceil(admission.wait))
        raise Problem(429, "auth.throttled", headers={"Retry-After": str(seconds)}, seconds=seconds)
    principal = None
    try:
        principal = context.directory.authenticate(form.username, form.password)
    finally:
        context.guard.settle(admission, succeeded=principal is not None)
    if principal is None:
        known = context.directory.knows(form.username)
        _refuse(account, address, "wrong_password" if known else "unknown_user")
        # One answer for an unknown user and a wrong password: no account enumeration.
        raise _problem(401, "auth.invalid_credentials")
    return principal


def _refuse(account: str, address: str, reason: str) -> None:
    metrics.AUTH_FAILURES.labels(reason).inc()
    fields = {"username": account, "client_address": address, "reason": reason}
    log.warning("sign-in refused", extra={"fields": fields})


def logout(
    request: Request, response: Response, bearer: Annotated[str | None, Depends(_bearer)]
) -> None:
    """Sign out: the session of the token sent (header or cookie) is revoked on every
    service, and the cookie forgotten. Without a valid token there is nothing to revoke."""
    context = auth_context(request)
    token = bearer or request.cookies.get(TOKEN_COOKIE)
    if token:
        _revoke(context, token)
    response.delete_cookie(
        TOKEN_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=context.secure_cookie,
    )


def _revoke(context: AuthContext, token: str) -> None:
    try:
        info = context.tokens.read(token)
    except InvalidToken:
        return
    store = context.guard.store
    if not store.is_revoked(info.session_id):
        username = info.principal.username
        store.revoke(info.session_id, username, info.expires_at, datetime.now(UTC))
        log.info("signed out", extra={"fields": {"username": username}})


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

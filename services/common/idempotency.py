"""`Idempotency-Key` (IETF draft "The Idempotency-Key HTTP Header Field"): a request retried
with the key of one that already took effect gets that first answer back and changes nothing.

A key is scoped to its caller (user name, or client address on public routes), method and
route, and bound to a fingerprint of the request (path, query and body). How it holds:

- the key row is written by the unit of work that writes the effect, inside its transaction
  (`db.joining`), so the effect and its key exist together or not at all: a retry after a
  cut connection, or a crash, finds the key and does nothing again;
- the answer the route produced is added to that row before it is sent, so a client that
  received it would get the same on a retry;
- while the first request runs, a second with its key gets 409: at once in the same process,
  and through the key's primary key at commit when two processes race.

A key is kept 24 hours; older ones are purged as answers are stored.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, Header, Request, Response
from sqlalchemy import (
    Column,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    delete,
    event,
    select,
    update,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.auth import CurrentUser
from services.common.clock import utcnow
from services.common.db import UnitOfWork, joining, upsert
from services.common.problems import FieldError, Problem
from services.common.sqltypes import UtcDateTime

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TABLE = "idempotency_keys"
RETENTION = timedelta(hours=24)
# A stored key without its answer after this long lost it (the process died in between).
ANSWER_GRACE = timedelta(seconds=60)
PURGE_EVERY_SECONDS = 300.0
KEY_PATTERN = r"^[A-Za-z0-9._~:+/=-]{8,128}$"
_KEY = re.compile(KEY_PATTERN)
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What a replay repeats of the first answer's headers (the rest is per response).
_KEPT = frozenset({b"content-type", b"content-language", b"location", b"vary"})


def idempotency_table(metadata: MetaData) -> Table:
    if TABLE in metadata.tables:
        return metadata.tables[TABLE]
    table = Table(
        TABLE,
        metadata,
        Column("scope", String(64), nullable=False),
        Column("key", String(128), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        # The first answer; NULL while it is being produced.
        Column("status", Integer, nullable=True),
        Column("headers", Text, nullable=True),
        Column("body", LargeBinary, nullable=True),
        PrimaryKeyConstraint("scope", "key"),
    )
    Index("ix_idempotency_keys_created_at", table.c.created_at)
    return table


_table = idempotency_table(MetaData())


# --- the pure parts -------------------------------------------------------------------


class InvalidKey(ValueError):
    pass


def parse_key(raw: str) -> str:
    """The key of a header value: bare, or a structured-field string (in double quotes)."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not _KEY.match(value):
        raise InvalidKey(raw)
    return value


# Fingerprints and scopes are keyed hashes: a plain hash of a call's body could be matched
# against its ticket's masked number in 10⁴ guesses, and client addresses rest only hashed.


def fingerprint(secret: bytes, method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests "the same": target and body; a JSON body by its content,
    so spacing and key order do not count."""
    try:
        content = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        payload = content.encode()
    except ValueError:
        payload = body
    digest = hmac.new(secret, f"{method} {path}?{query}\n".encode(), "sha256")
    digest.update(payload)
    return digest.hexdigest()


def scope_of(secret: bytes, caller: str, method: str, route: str) -> str:
    """Whose key it is: caller, method and route template."""
    return hmac.new(secret, f"{caller}\n{method}\n{route}".encode(), "sha256").hexdigest()


@dataclass(frozen=True)
class Stored:
    fingerprint: str
    created_at: datetime
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes


class Verdict(Enum):
    NEW = "new"
    REPLAY = "replay"
    REUSED = "reused"
    IN_FLIGHT = "in_flight"
    LOST = "lost"


def verdict(stored: Stored | None, print_: str, now: datetime) -> Verdict:
    """What a request with this fingerprint gets, given what its key holds."""
    if stored is None or stored.created_at <= now - RETENTION:
        return Verdict.NEW
    if stored.fingerprint != print_:
        return Verdict.REUSED
    if stored.status is not None:
        return Verdict.REPLAY
    return Verdict.IN_FLIGHT if now - stored.created_at < ANSWER_GRACE else Verdict.LOST


def kept_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw if k.lower() in _KEPT]


# --- problems and the replayed answer --------------------------------------------------


def _in_flight() -> Problem:
    return Problem(409, "request.idempotency_in_flight", headers={"Retry-After": "1"})


_REFUSALS: dict[Verdict, Callable[[], Problem]] = {
    Verdict.REUSED: lambda: Problem(422, "request.idempotency_key_reused"),
    Verdict.IN_FLIGHT: _in_flight,
    Verdict.LOST: lambda: Problem(409, "request.idempotency_answer_lost"),
}


class Replay(Exception):
    """Answers a request with the stored first answer (see `install`)."""

    def __init__(self, stored: Stored) -> None:
        super().__init__("replay")
        self.stored = stored

    def response(self) -> Response:
        response = Response(self.stored.body, self.stored.status or 200)
        for name, value in self.stored.headers:
            response.headers.append(name, value)
        response.headers[REPLAYED_HEADER] = "true"
        return response


# --- one request's key -----------------------------------------------------------------


@dataclass
class Claim:
    scope: str
    key: str
    fingerprint: str
    recorded: bool = False  # its effect committed, with the key


class Pending:
    """One write request: its claim once the route's dependency made one."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self.claim: Claim | None = None

    async def admit(self, claim: Claim) -> None:
        """Refuses or replays a key already used; else the claim rides with the request."""
        if (claim.scope, claim.key) in self.keys.running:
            raise _in_flight()
        # Taken before the first await, so a twin arriving meanwhile is refused.
        self.keys.running.add((claim.scope, claim.key))
        self.claim = claim
        stored = await anyio.to_thread.run_sync(self.keys.load, claim)
        found = verdict(stored, claim.fingerprint, utcnow())
        if found is Verdict.REPLAY and stored is not None:
            raise Replay(stored)
        if found is not Verdict.NEW:
            raise _REFUSALS[found]()

    def join(self, uow: UnitOfWork) -> None:
        """Inside the transaction that writes the effect: the key, or 409 if another
        request with it got there first (the effect is then rolled back with it)."""
        claim = self.claim
        if claim is None or claim.recorded:
            return
        session = uow.session
        now = utcnow()
        row = {"scope": claim.scope, "key": claim.key, "fingerprint": claim.fingerprint}
        statement = upsert(session.get_bind().dialect.name, _table).values(**row, created_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[_table.c.scope, _table.c.key],
            set_={"fingerprint": claim.fingerprint, "created_at": now}
            | {"status": None, "headers": None, "body": None},
            where=_table.c.created_at <= now - RETENTION,
        )
        if session.execute(statement.returning(_table.c.key)).first() is None:
            raise _in_flight()
        event.listen(session, "after_commit", lambda _: _recorded(claim), once=True)

    def release(self) -> None:
        if self.claim is not None:
            self.keys.running.discard((self.claim.scope, self.claim.key))


def _recorded(claim: Claim) -> None:
    claim.recorded = True


_pending: ContextVar[Pending | None] = ContextVar("idempotency_pending", default=None)


class KeyStore:
    """A service's keys: the database, and the ones its requests are working on now."""

    def __init__(self, engine: Engine, secret: bytes) -> None:
        self.engine = engine
        self.secret = secret
        self.running: set[tuple[str, str]] = set()
        self.purged_at = time.monotonic()

    def load(self, claim: Claim) -> Stored | None:
        t = _table
        query = select(t.c.fingerprint, t.c.created_at, t.c.status, t.c.headers, t.c.body)
        query = query.where(t.c.scope == claim.scope, t.c.key == claim.key)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        headers = [(str(k), str(v)) for k, v in json.loads(row.headers or "[]")]
        return Stored(row.fingerprint, row.created_at, row.status, headers, row.body or b"")

    def keep(self, claim: Claim, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        """Stores the first answer beside its key; now and then forgets expired keys."""
        t = _table
        answer = {"status": status, "headers": json.dumps(headers), "body": body}
        purge = time.monotonic() - self.purged_at > PURGE_EVERY_SECONDS
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    update(t).where(t.c.scope == claim.scope, t.c.key == claim.key).values(answer)
                )
                if purge:
                    conn.execute(delete(t).where(t.c.created_at < utcnow() - RETENTION))
        except Exception:
            # The effect stands; a retry is told its answer was lost rather than redoing it.
            log.warning("idempotency answer not stored", exc_info=True)
            return
        if purge:
            self.purged_at = time.monotonic()


class _Middleware:
    """Gives each write request its `Pending` and, when its key was recorded with the
    effect, stores the answer before sending it."""

    def __init__(self, app: ASGIApp, keys: KeyStore) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return
        pending = Pending(self.keys)
        tokens = (_pending.set(pending), joining.set(pending.join))
        try:
            await self.app(scope, receive, _Answer(pending, send).send)
        finally:
            joining.reset(tokens[1])
            _pending.reset(tokens[0])
            pending.release()


class _Answer:
    def __init__(self, pending: Pending, send: Send) -> None:
        self.pending = pending
        self.downstream = send
        self.held: list[Message] = []

    async def send(self, message: Message) -> None:
        claim = self.pending.claim
        if claim is None or not claim.recorded:
            await self.downstream(message)
            return
        self.held.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            await self._keep(claim)
            for held in self.held:
                await self.downstream(held)

    async def _keep(self, claim: Claim) -> None:
        start = self.held[0]
        body = b"".join(m.get("body", b"") for m in self.held[1:])
        headers = kept_headers(list(start.get("headers", [])))
        keys = self.pending.keys
        await anyio.to_thread.run_sync(keys.keep, claim, start["status"], headers, body)


# --- wiring ------------------------------------------------------------------------------


def install(app: FastAPI, engine: Engine, secret: bytes) -> None:
    """Makes `idempotent()` work on `app`'s routes: keys stored in `engine`'s database,
    hashed with a key derived from `secret` (the same in every instance)."""
    keys = KeyStore(engine, hmac.digest(secret, b"idempotency", "sha256"))
    app.state.idempotency = keys
    app.add_middleware(_Middleware, keys=keys)

    def replay(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, Replay)
        return exc.response()

    app.add_exception_handler(Replay, replay)


async def principal_name(user: CurrentUser) -> str:
    return user.username


KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description=(
            "One random key per action (e.g. a UUID), 8–128 characters of A–Z a–z 0–9 "
            "`.` `_` `~` `:` `+` `/` `=` `-`. Sent again with the same request within 24 h, "
            "it returns the first answer (with `Idempotent-Replayed: true`) and changes "
            "nothing; with another request it is refused (422); while the first is still "
            "running, 409."
        ),
        json_schema_extra={"pattern": KEY_PATTERN},
    ),
]


def idempotent(caller: Callable[..., str | Awaitable[str]] = principal_name) -> Any:
    """A route dependency: honours `Idempotency-Key`, scoped to `caller`'s answer (a
    dependency: the user name by default, the client address on public routes)."""

    # `who` by default value: an annotation naming `caller` could not be resolved later.
    async def claim_key(
        request: Request, key: KeyHeader = None, who: str = Depends(caller)
    ) -> None:
        if key is None:
            return
        pending = _pending.get()
        if pending is None:
            raise RuntimeError("idempotency.install() was not called on this app")
        await pending.admit(await _claim(pending.keys.secret, request, who, key))

    return Depends(claim_key)


async def _claim(secret: bytes, request: Request, caller: str, raw: str) -> Claim:
    try:
        key = parse_key(raw)
    except InvalidKey:
        code = "request.idempotency_key_invalid"
        raise Problem(400, code, errors=[FieldError(f"header.{HEADER}", code)]) from None
    route = getattr(request.scope.get("route"), "path", request.url.path)
    url = request.url
    print_ = fingerprint(secret, request.method, url.path, url.query, await request.body())
    return Claim(scope_of(secret, caller, request.method, route), key, print_)


Idempotent = idempotent()

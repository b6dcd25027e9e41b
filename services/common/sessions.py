"""Sign-in failures and revoked sessions, shared by every service through the bus.

Each service records what happens at its own sign-in in its own database, in the same
transaction as the event that tells the others (`hotline.sessions`); each service's
`<name>-sessions` consumer folds every service's events into the same tables (the inbox
and the event id as key make that idempotent, and a service's own events change nothing).
So a burst spread over the four services is throttled on each of them, and the state
survives restarts. Revoked sessions are also held in memory, since every request asks.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import MetaData, delete, func, select

from proto.envelope import Envelope
from proto.sessions import SESSIONS, SessionRevoked, SignInFailed, SignInSucceeded
from services.common.app import Platform
from services.common.clock import utcnow
from services.common.consumer import Handler
from services.common.db import UnitOfWork, UnitOfWorkFactory, uow_factory, upsert
from services.common.platform import add_consumer
from services.common.session_tables import revoked_sessions_table, sign_in_failures_table
from services.common.settings import Settings
from services.common.throttle import Tally
from services.common.workers import Worker

REFRESH_SECONDS = 2.0
PURGE_SECONDS = 600.0


def account_subject(account: str) -> str:
    """The envelope subject (and partition key) of an account's events: one account's
    failures and successes stay in order; the name itself is in the payload."""
    return "account:" + hashlib.sha256(account.encode()).hexdigest()[:40]


class DatabaseSessions:
    """A SessionStore on the service's database (see the module's docstring)."""

    def __init__(self, uow: UnitOfWorkFactory, metadata: MetaData, memory_seconds: float):
        self.uow = uow
        self.failures = sign_in_failures_table(metadata)
        self.revoked = revoked_sessions_table(metadata)
        self.memory_seconds = memory_seconds
        # session id → expiry (epoch seconds); replaced whole, never changed in place, so
        # request threads read it without a lock.
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()
        self._purged = 0.0

    # -- the SessionStore port -------------------------------------------------------

    def tally(self, account: str, address: str, since: datetime) -> tuple[Tally, Tally]:
        f = self.failures
        counted = select(func.count(), func.max(f.c.failed_at)).where(f.c.failed_at > since)
        with self.uow() as uow:
            mine = uow.session.execute(counted.where(f.c.account == account)).one()
            theirs = uow.session.execute(counted.where(f.c.address == address)).one()
        return Tally(mine[0], mine[1]), Tally(theirs[0], theirs[1])

    def failed(self, account: str, address: str, at: datetime) -> None:
        with self.uow() as uow:
            event = SignInFailed(account=account, address=address, at=at)
            envelope = uow.publish(event, ticket_id=account_subject(account))
            self._keep_failure(uow, envelope, event)
            uow.commit()

    def succeeded(self, account: str, at: datetime) -> None:
        with self.uow() as uow:
            event = SignInSucceeded(account=account, at=at)
            uow.publish(event, ticket_id=account_subject(account))
            self._forgive(uow, event)
            uow.commit()

    def revoke(self, session_id: str, username: str, expires_at: datetime, at: datetime) -> None:
        with self.uow() as uow:
            event = SessionRevoked(
                session_id=session_id, username=username, expires_at=expires_at, at=at
            )
            uow.publish(event, ticket_id=f"session:{session_id}")
            self._keep_revoked(uow, event)
            uow.commit()
        self._remember({session_id: expires_at.timestamp()})

    def is_revoked(self, session_id: str) -> bool:
        return session_id in self._revoked

    # -- the consumer's handlers -----------------------------------------------------

    def handlers(self) -> dict[str, Handler]:
        return {
            SignInFailed.TYPE: self._keep_failure,
            SignInSucceeded.TYPE: lambda uow, _, event: self._forgive(uow, event),
            SessionRevoked.TYPE: self._on_revoked,
        }

    def _keep_failure(self, uow: UnitOfWork, envelope: Envelope, event: SignInFailed) -> None:
        if time.time() - event.at.timestamp() > self.memory_seconds:
            return  # replayed from long ago: already forgotten
        row = {
            "event_id": envelope.event_id,
            "account": event.account,
            "address": event.address,
            "failed_at": event.at,
        }
        insert = upsert(uow.session.get_bind().dialect.name, self.failures)
        uow.session.execute(insert.values(row).on_conflict_do_nothing())

    def _forgive(self, uow: UnitOfWork, event: SignInSucceeded) -> None:
        f = self.failures
        forgiven = delete(f).where(f.c.account == event.account, f.c.failed_at <= event.at)
        uow.session.execute(forgiven)

    def _on_revoked(self, uow: UnitOfWork, _: Envelope, event: SessionRevoked) -> None:
        if event.expires_at.timestamp() <= time.time():
            return  # its tokens are refused anyway
        self._keep_revoked(uow, event)
        # Remembered before the commit: a revocation is a fact even if this batch is retried.
        self._remember({event.session_id: event.expires_at.timestamp()})

    def _keep_revoked(self, uow: UnitOfWork, event: SessionRevoked) -> None:
        row = {"session_id": event.session_id, "expires_at": event.expires_at}
        insert = upsert(uow.session.get_bind().dialect.name, self.revoked)
        uow.session.execute(insert.values(row).on_conflict_do_nothing())

    # -- memory ----------------------------------------------------------------------

    def refresh(self) -> int:
        """Reads the revoked sessions into memory: at start, then now and then, for
        another instance of this service whose consumer took the event. Now and then
        also forgets expired revocations and old failures. Returns 0 (a Worker step)."""
        with self.uow() as uow:
            rows = uow.session.execute(select(self.revoked.c.session_id, self.revoked.c.expires_at))
            self._remember({sid: expires.timestamp() for sid, expires in rows})
        if time.monotonic() - self._purged > PURGE_SECONDS:
            self.purge(utcnow())
        return 0

    def purge(self, now: datetime) -> None:
        old = now - timedelta(seconds=self.memory_seconds)
        with self.uow() as uow:
            uow.session.execute(delete(self.failures).where(self.failures.c.failed_at <= old))
            uow.session.execute(delete(self.revoked).where(self.revoked.c.expires_at <= now))
            uow.commit()
        self._purged = time.monotonic()

    def _remember(self, revoked: dict[str, float]) -> None:
        with self._lock:
            now = time.time()
            kept = {sid: exp for sid, exp in self._revoked.items() if exp > now}
            self._revoked = kept | {sid: exp for sid, exp in revoked.items() if exp > now}


def install_sessions(platform: Platform, settings: Settings, metadata: MetaData) -> None:
    """Shares the service's sign-in state and revocations with the others: a store on its
    database, loaded now, and a consumer of `hotline.sessions` that keeps it current."""
    uow = uow_factory(platform.engine, metadata, platform.service)
    store = DatabaseSessions(uow, metadata, settings.sign_in_memory_minutes * 60)
    store.refresh()
    platform.auth = platform.auth.with_store(store)
    name = f"{platform.service}-sessions"
    add_consumer(platform, settings, name, [SESSIONS], store.handlers(), uow)
    platform.workers.append(Worker(f"{name}-refresh", store.refresh, idle=REFRESH_SECONDS))

"""The sign-in guard: asks the store what failures it remembers, decides by the policy
whether an attempt may go ahead (before any password is hashed), and records the outcome.

The store is a port: `services.common.sessions.DatabaseSessions` shares its state with
every service through the bus and keeps it across restarts; `MemorySessions` keeps it in
this process only (an app built without a database, e.g. in unit tests).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.common.clock import utcnow
from services.common.throttle import Tally, ThrottlePolicy


class SessionStore(Protocol):
    def tally(self, account: str, address: str, since: datetime) -> tuple[Tally, Tally]:
        """Failures since `since` for the account and for the address."""

    def failed(self, account: str, address: str, at: datetime) -> None: ...

    def succeeded(self, account: str, at: datetime) -> None:
        """Forgets the account's failures up to `at`."""

    def revoke(self, session_id: str, username: str, expires_at: datetime, at: datetime) -> None:
        """From now on `is_revoked(session_id)` is true here, and soon on every service."""

    def is_revoked(self, session_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Admission:
    """An attempt the guard looked at: `wait` > 0 means refused for that many seconds."""

    account: str
    address: str
    wait: float
    had_failures: bool


class SignInGuard:
    """Counts attempts still being checked as failures, so concurrent guesses are held
    back too; one instance per process, shared by its request threads."""

    def __init__(
        self,
        store: SessionStore,
        policy: ThrottlePolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.policy = policy or ThrottlePolicy()
        self._clock = clock
        self._pending: Counter[str] = Counter()
        self._lock = threading.Lock()

    def admit(self, account: str, address: str) -> Admission:
        """Decides before the password is checked; an admitted attempt must be `settle`d."""
        now = self._clock()
        by_account, by_address = self.store.tally(account, address, self.policy.since(now))
        keys = (f"u:{account}", f"a:{address}")
        with self._lock:
            pending = [self._pending[key] for key in keys]
            wait = self.policy.wait(
                by_account.plus(pending[0], now), by_address.plus(pending[1], now), now
            )
            if not wait:
                self._pending.update(keys)
        return Admission(account, address, wait, by_account.failures > 0)

    def settle(self, admission: Admission, succeeded: bool) -> None:
        """Records the outcome of an admitted attempt."""
        try:
            now = self._clock()
            if not succeeded:
                self.store.failed(admission.account, admission.address, now)
            elif admission.had_failures:
                self.store.succeeded(admission.account, now)
        finally:
            with self._lock:
                self._pending.subtract((f"u:{admission.account}", f"a:{admission.address}"))
                self._pending += Counter()  # drops keys at zero, so the counter stays small


class MemorySessions:
    """A SessionStore in this process's memory: nothing shared, nothing kept."""

    def __init__(self) -> None:
        self._failures: list[tuple[str, str, datetime]] = []
        self._revoked: set[str] = set()
        self._lock = threading.Lock()

    def tally(self, account: str, address: str, since: datetime) -> tuple[Tally, Tally]:
        with self._lock:
            self._failures = [f for f in self._failures if f[2] > since]
            mine = [at for name, _, at in self._failures if name == account]
            theirs = [at for _, where, at in self._failures if where == address]
        return _tally(mine), _tally(theirs)

    def failed(self, account: str, address: str, at: datetime) -> None:
        with self._lock:
            self._failures.append((account, address, at))

    def succeeded(self, account: str, at: datetime) -> None:
        with self._lock:
            self._failures = [f for f in self._failures if f[0] != account or f[2] > at]

    def revoke(self, session_id: str, username: str, expires_at: datetime, at: datetime) -> None:
        self._revoked.add(session_id)

    def is_revoked(self, session_id: str) -> bool:
        return session_id in self._revoked


def _tally(failures: list[datetime]) -> Tally:
    return Tally(len(failures), max(failures, default=None))

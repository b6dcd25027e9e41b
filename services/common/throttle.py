"""How long a sign-in must wait after failures: pure rules, no I/O, no clock of their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

FIRST_DELAY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Tally:
    """Failures remembered for one account or one address, and when the last one was."""

    failures: int = 0
    last: datetime | None = None

    def plus(self, pending: int, now: datetime) -> Tally:
        """With `pending` attempts still being checked counted as failures made now, so a
        burst of concurrent guesses is held back before any of them has failed."""
        if not pending:
            return self
        return Tally(self.failures + pending, now)


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """`free` failures cost nothing; each one after that doubles the wait before the next
    attempt, from one second up to `max_delay`. Failures older than `memory` are forgotten."""

    free_per_account: int = 5
    free_per_address: int = 20
    max_delay: timedelta = timedelta(minutes=15)
    memory: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.free_per_account < 1 or self.free_per_address < 1:
            raise ValueError("at least one failure must be free")
        if self.max_delay.total_seconds() < FIRST_DELAY_SECONDS or self.memory <= self.max_delay:
            raise ValueError("need 1 s <= max_delay < memory")

    def delay(self, failures: int, free: int) -> float:
        """Seconds between the last failure and the next attempt allowed."""
        if failures < free:
            return 0.0
        doublings = min(failures - free, 30)
        return min(FIRST_DELAY_SECONDS * 2.0**doublings, self.max_delay.total_seconds())

    def wait(self, account: Tally, address: Tally, now: datetime) -> float:
        """Seconds the next attempt must still wait; 0 when it may go ahead."""
        return max(
            self._wait(account, self.free_per_account, now),
            self._wait(address, self.free_per_address, now),
        )

    def since(self, now: datetime) -> datetime:
        """Failures before this are forgotten."""
        return now - self.memory

    def _wait(self, tally: Tally, free: int, now: datetime) -> float:
        if tally.last is None:
            return 0.0
        ready = tally.last + timedelta(seconds=self.delay(tally.failures, free))
        return max(0.0, (ready - now).total_seconds())

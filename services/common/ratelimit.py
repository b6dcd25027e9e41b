"""A fixed-window rate limiter for public routes, kept in this process's memory.

Each instance counts on its own, so N instances allow up to N × limit per window; that is
the intent (it stops scripted guessing of links, not a determined distributed attack, which
the reverse proxy handles).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class FixedWindowLimiter:
    """Allows `limit` hits per key in each window of `window` seconds."""

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("the limit must be at least 1 and the window positive")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Counts one hit; None when allowed, else the seconds until the window ends."""
        now = self._clock()
        slot = int(now // self.window)
        with self._lock:
            if len(self._counts) >= self._max_keys:
                self._forget_old(slot)
            last_slot, count = self._counts.get(key, (slot, 0))
            count = count + 1 if last_slot == slot else 1
            self._counts[key] = (slot, count)
        if count <= self.limit:
            return None
        return (slot + 1) * self.window - now

    def _forget_old(self, slot: int) -> None:
        self._counts = {k: v for k, v in self._counts.items() if v[0] == slot}
        if len(self._counts) >= self._max_keys:
            self._counts.clear()  # a flood of distinct keys: start the window afresh

"""Background loops (outbox relay, consumers) that run beside the API in a service process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Worker:
    """Calls `step` until stopped. `step` returns how much it did: 0 means idle, so wait
    `idle` seconds; after work, wait `linger` seconds, so that under load the next step
    finds a batch rather than one item (one commit for many); an exception backs off
    exponentially up to `max_backoff` and retries."""

    name: str
    step: Callable[[], int]
    idle: float = 0.05
    linger: float = 0.0
    max_backoff: float = 5.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        backoff = 0.0
        while not self._stop.is_set():
            try:
                done = self.step()
                backoff = 0.0
            except Exception:
                backoff = min(self.max_backoff, max(0.1, backoff * 2))
                log.warning("%s failed; retrying in %.1fs", self.name, backoff, exc_info=True)
                self._stop.wait(backoff)
                continue
            if not done:
                self._stop.wait(self.idle)
            elif self.linger:
                self._stop.wait(self.linger)

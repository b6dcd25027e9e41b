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
    exponentially up to `max_backoff` and retries.

    A loop that carries events (relay, consumer) also has `settle`: one step that says
    whether anything is left, so a test can drive the bus to quiescence (`settle_now`)
    instead of polling for an outcome; the two never step at the same time."""

    name: str
    step: Callable[[], int]
    idle: float = 0.05
    linger: float = 0.0
    max_backoff: float = 5.0
    settle: Callable[[], bool] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _stepping: threading.Lock = field(default_factory=threading.Lock)
    _settling: threading.Event = field(default_factory=threading.Event)
    _held: bool = False

    def hold(self) -> None:
        """Leaves the stepping to the owner (a test calling `settle_now`): `start` then
        starts no thread."""
        self._held = True

    def start(self) -> None:
        if self._held:
            return
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        backoff = 0.0
        while not self._stop.is_set():
            if self._settling.is_set():
                # A lock is not fair: without this pause the loop would take it back at once.
                self._stop.wait(0.01)
                continue
            try:
                with self._stepping:
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

    def settle_now(self) -> bool:
        """Steps once, between two steps of the loop's own; True while work is left."""
        if self.settle is None:
            return False
        self._settling.set()
        try:
            with self._stepping:
                return self.settle()
        finally:
            self._settling.clear()

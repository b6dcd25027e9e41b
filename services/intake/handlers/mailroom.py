"""The email inbox's two background loops, run by intake's workers.

`MailPoller` reads new mail while it holds the mailbox's lease (one intake instance at a
time): each message is stored (ticket + queued answer, one transaction) before it is marked
\\Seen, so a crash at any point leaves it to be read again, and reading it again is
recognised (same UID, or same Message-ID) and makes no second ticket. A mail server that is
away raises, and the worker retries with a growing delay.

`ReplySender` sends the queued answers like the SMS sender: claim, send, record; a failure
is retried with doubling delays, so an answer is sent at least once."""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from proto.envelope import new_id
from services.intake import metrics
from services.intake.domain.mail import MailState, Place, ReplyStatus, read_letter, reply_text
from services.intake.domain.sms import RetryPolicy
from services.intake.handlers import mail
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.tracking import tracking_link

log = logging.getLogger(__name__)


class Inbox(Protocol):
    mailbox: str

    def open(self) -> int: ...

    def unseen(self) -> list[int]: ...

    def size(self, uid: int) -> int | None: ...

    def fetch(self, uid: int, headers_only: bool = False) -> bytes | None: ...

    def mark_seen(self, uid: int) -> None: ...

    def close(self) -> None: ...


class Outbox(Protocol):
    def send(
        self, reply_id: str, to: str, subject: str, text: str, in_reply_to: str | None
    ) -> None:
        """Sends or raises an exception with a `permanent` attribute (SendError)."""


def _holder() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{new_id()[:8]}"


def instance_name(configured: str, port: int) -> str:
    """Who holds the mailbox and claims answers: the same after a restart (host name and
    port, which no two live instances share), so a restarted instance takes back at once
    what its killed predecessor held instead of waiting out the lease."""
    return (configured or f"{socket.gethostname()[:50]}:{port}")[:64]


@dataclass
class MailPoller:
    intake: IntakeContext
    inbox: Inbox
    max_bytes: int
    lease: timedelta
    batch: int = 20
    holder: str = field(default_factory=_holder)

    def step(self) -> int:
        """Reads up to `batch` new messages; returns how many (0: idle, or not the holder)."""
        if not self._hold():
            self.inbox.close()
            return 0
        uidvalidity = self.inbox.open()
        uids = self.inbox.unseen()[: self.batch]
        for uid in uids:
            self._read(Place(self.inbox.mailbox, uidvalidity, uid))
        metrics.MAIL_LAST_READ.set(time.time())
        return len(uids)

    def _hold(self) -> bool:
        now = self.intake.clock()
        with self.intake.uow() as uow:
            held = uow.mail.lease(self.inbox.mailbox, self.holder, now, now + self.lease)
            uow.commit()
        return held

    def release(self) -> None:
        """Gives the mailbox up on shutdown: a restarted instance need not wait out the lease."""
        with self.intake.uow() as uow:
            uow.mail.release(self.inbox.mailbox, self.holder, self.intake.clock())
            uow.commit()

    def _read(self, place: Place) -> None:
        if mail.already_read(self.intake, place) or self._store(place):
            self.inbox.mark_seen(place.uid)

    def _store(self, place: Place) -> bool:
        """Stores the message; False if it vanished from the mailbox meanwhile."""
        size = self.inbox.size(place.uid)
        large = size is not None and size > self.max_bytes
        raw = self.inbox.fetch(place.uid, headers_only=large)
        if raw is None:
            return False
        letter = read_letter(raw, headers_only=large)
        if letter.automatic or mail.already_read(self.intake, place, letter.message_id):
            accepted = mail.accept(self.intake, place, letter, [], [])  # records it: no ticket
            metrics.MAIL_MESSAGES.labels(accepted.state.value).inc()
            return True
        photos, notes = mail.store_photos(self.intake, letter)
        try:
            accepted = mail.accept(self.intake, place, letter, photos, notes)
        except Exception as exc:
            # Recording it proves the database is up: the message itself is at fault.
            mail.record_failure(self.intake, place, letter, f"{type(exc).__name__}: {exc}")
            metrics.MAIL_MESSAGES.labels(MailState.failed.value).inc()
            log.exception("mail %s/%s could not become a ticket", place.mailbox, place.uid)
            return True
        metrics.MAIL_MESSAGES.labels(accepted.state.value).inc()
        if accepted.state is MailState.ticket:
            log.info(
                "mail %s/%s became ticket %s", place.mailbox, place.uid, accepted.ticket_number
            )
        return True


@dataclass
class ReplySender:
    intake: IntakeContext
    outbox: Outbox
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    # An answer claimed by a sender that died is tried again after this; longer than the
    # SMTP timeout, so a slow server never gets the same answer from two senders at once.
    lease: timedelta = timedelta(minutes=2)
    batch: int = 20
    holder: str = field(default_factory=_holder)
    _restarted: bool = True

    def step(self) -> int:
        """Tries every due answer once; returns how many it tried (0: idle)."""
        with self.intake.uow() as uow:
            if self._restarted:  # what this instance claimed before it was killed
                uow.mail.unclaim(self.holder, self.intake.clock())
                uow.commit()
                self._restarted = False
            ids = uow.mail.due(self.intake.clock(), self.batch)
            metrics.MAIL_REPLIES_WAITING.set(uow.mail.waiting())
        return sum(self._send(reply_id) for reply_id in ids)

    def _send(self, reply_id: str) -> int:
        reply = self._claim(reply_id)
        if reply is None:
            return 0
        attempts = reply["attempts"] + 1
        text = reply_text(reply["ticket_number"], tracking_link(self.intake, reply["ticket_id"]))
        try:
            to = self.intake.vault.open(reply["to_cipher"])
            self.outbox.send(reply_id, to, reply["subject"], text, reply["in_reply_to"])
        except Exception as exc:
            self._failed(reply_id, attempts, exc)
            return 1
        self._settle(reply_id, ReplyStatus.sent, attempts)
        metrics.MAIL_REPLIES.labels("sent").inc()
        return 1

    def _claim(self, reply_id: str) -> dict[str, Any] | None:
        with self.intake.uow() as uow:
            now = self.intake.clock()
            reply = uow.mail.claim(reply_id, now, now + self.lease, self.holder)
            uow.commit()
        return reply

    def _failed(self, reply_id: str, attempts: int, exc: Exception) -> None:
        permanent = bool(getattr(exc, "permanent", False))
        retry_at = None if permanent else self.policy.after_failure(attempts, self.intake.clock())
        status = ReplyStatus.pending if retry_at else ReplyStatus.failed
        metrics.MAIL_REPLIES.labels("retried" if retry_at else "failed").inc()
        # The error names the server's answer, never the address.
        log.warning("mail reply %s attempt %d failed: %s", reply_id, attempts, exc)
        self._settle(reply_id, status, attempts, retry_at, str(exc))

    def _settle(
        self,
        reply_id: str,
        status: ReplyStatus,
        attempts: int,
        next_at: Any = None,
        error: str | None = None,
    ) -> None:
        with self.intake.uow() as uow:
            uow.mail.settle(reply_id, status, attempts, self.intake.clock(), next_at, error)
            uow.commit()

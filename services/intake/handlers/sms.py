"""Delivers queued texts in the background: claim (short transaction), send (no
transaction), record the outcome (short transaction). Failures are retried with backoff
until the policy gives up; the number is decrypted only for the gateway."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from services.common.sms import GatewayError, SmsGateway
from services.intake import metrics
from services.intake.domain.sms import RetryPolicy, SmsStatus, redact_links
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.ports import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class SmsSender:
    intake: IntakeContext
    gateway: SmsGateway
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    batch: int = 20
    # Once a gateway has the text, intake keeps it without its link (a single-use rating
    # link in a table is a key left in the door). The local outbox is itself the delivery,
    # so it keeps the text whole.
    redact_delivered: bool = True

    def step(self) -> int:
        """Tries every due message once; returns how many it tried (0: idle)."""
        with self.intake.uow() as uow:
            ids = uow.sms.due(self.intake.clock(), self.batch)
        return sum(self._deliver(message_id) for message_id in ids)

    def _deliver(self, message_id: str) -> int:
        claimed = self._claim(message_id)
        if claimed is None:
            return 0
        message, cipher = claimed
        attempts = message["attempts"] + 1
        try:
            self.gateway.send(message_id, self.intake.vault.open(cipher), message["text"])
        except GatewayError as exc:
            self._failed(message_id, attempts, exc)
            return 1
        kept = redact_links(message["text"]) if self.redact_delivered else None
        self._settle(message_id, SmsStatus.sent, attempts, text=kept)
        metrics.SMS.labels("sent").inc()
        return 1

    def _claim(self, message_id: str) -> tuple[dict[str, Any], str] | None:
        """The message and the encrypted number, if this worker got the message."""
        now = self.intake.clock()
        with self.intake.uow() as uow:
            message = uow.sms.claim(message_id, now)
            if message is None:
                return None
            cipher = message.get("recipient_cipher") or self._callers_cipher(uow, message)
            if cipher is None:
                uow.sms.settle(message_id, SmsStatus.no_number, 0, now)
            uow.commit()
        if cipher is None:
            metrics.SMS.labels("no_number").inc()
            return None
        return message, cipher

    @staticmethod
    def _callers_cipher(uow: UnitOfWork, message: dict[str, Any]) -> str | None:
        caller = uow.calls.first_caller(message["ticket_id"])
        return caller.caller_cipher if caller else None

    def _failed(self, message_id: str, attempts: int, exc: GatewayError) -> None:
        now = self.intake.clock()
        retry_at = None if exc.permanent else self.policy.after_failure(attempts, now)
        status = SmsStatus.pending if retry_at else SmsStatus.failed
        # The error names the gateway's answer, never the number or the text.
        log.warning("sms %s attempt %d failed: %s", message_id, attempts, exc)
        self._settle(message_id, status, attempts, retry_at, str(exc))
        metrics.SMS.labels("retry" if retry_at else "failed").inc()

    def _settle(
        self,
        message_id: str,
        status: SmsStatus,
        attempts: int,
        next_at: Any = None,
        error: str | None = None,
        text: str | None = None,
    ) -> None:
        with self.intake.uow() as uow:
            now = self.intake.clock()
            uow.sms.settle(message_id, status, attempts, now, next_at, error, text)
            uow.commit()


def outbox(intake: IntakeContext, limit: int, status: str | None) -> list[dict[str, Any]]:
    with intake.uow() as uow:
        return uow.sms.recent(limit, status)

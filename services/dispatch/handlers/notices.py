"""Sends the queued notices: claim (short transaction), send (no transaction), settle (short
transaction). A failure is tried again with backoff until the policy gives up; a notice
already sent is never sent again, and one whose sender died mid-way is tried again only after
its lease (the receiver drops a repeated id)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.common.audit import record_change
from services.common.auth import Principal
from services.common.errors import NotFound
from services.common.sms import GatewayError, HttpGateway, LocalOutbox, SmsGateway
from services.common.workers import Worker
from services.dispatch import metrics
from services.dispatch.adapters.notice_webhook import WebhookSender
from services.dispatch.config import DispatchSettings
from services.dispatch.domain.notice import Backoff, Notice, check_contact
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.handlers.ports import UnitOfWork

log = logging.getLogger(__name__)
# At zero from start-up, so the first notice given up is seen by increase() in the alert.
for _channel in ("sms", "webhook"):
    for _outcome in ("sent", "retry", "failed"):
        metrics.NOTICES.labels(_channel, _outcome)


class Deliver(Protocol):
    def send(self, notice: Notice) -> None:
        """Hands the notice over or raises GatewayError."""


@dataclass
class BySms:
    """A notice as a text to the duty phone."""

    gateway: SmsGateway

    def send(self, notice: Notice) -> None:
        self.gateway.send(notice.id, notice.recipient, notice.text())


@dataclass
class NoticeSender:
    deps: DispatchContext
    channels: Mapping[str, Deliver]
    backoff: Backoff = field(default_factory=Backoff)
    batch: int = 20
    lease: timedelta = timedelta(minutes=2)

    def step(self) -> int:
        """Tries every due notice once; returns how many it tried (0: idle)."""
        with self.deps.uow() as u:
            due = u.notices.due(self.deps.now(), self.batch)
        return sum(self._deliver(notice) for notice in due)

    def _deliver(self, notice: Notice) -> int:
        with self.deps.uow() as u:
            if not u.notices.claim(notice, self.lease, self.deps.now()):
                return 0
            u.commit()
        attempts = notice.attempts + 1
        try:
            self.channels[notice.channel].send(notice)
        except GatewayError as exc:
            self._failed(notice, attempts, exc)
            return 1
        self._settle(notice.id, {"status": "sent", "sent_at": self.deps.now(),
                                 "next_attempt_at": None, "last_error": None})  # fmt: skip
        metrics.NOTICES.labels(notice.channel, "sent").inc()
        return 1

    def _failed(self, notice: Notice, attempts: int, exc: GatewayError) -> None:
        now = self.deps.now()
        retry_at = None if exc.permanent else self.backoff.after_failure(attempts, now)
        # The error names the answer, never the number or the URL.
        log.warning("notice %s attempt %d failed: %s", notice.id, attempts, exc)
        status = "pending" if retry_at else "failed"
        self._settle(notice.id, {"status": status, "next_attempt_at": retry_at,
                                 "last_error": str(exc)[:200]})  # fmt: skip
        metrics.NOTICES.labels(notice.channel, "retry" if retry_at else "failed").inc()

    def _settle(self, notice_id: str, values: dict[str, Any]) -> None:
        with self.deps.uow() as u:
            u.notices.settle(notice_id, values)
            u.commit()


def recent(deps: DispatchContext, limit: int) -> list[dict[str, Any]]:
    with deps.uow() as u:
        return u.notices.recent(limit)


def settings(deps: DispatchContext, code: str) -> dict[str, Any]:
    with deps.uow() as u:
        found = u.notices.settings(code)
    if found is None:
        raise NotFound("dispatch.unknown_department", code=code)
    return found


def set_settings(
    deps: DispatchContext,
    user: Principal,
    code: str,
    channel: str,
    phone: str | None,
    url: str | None,
) -> dict[str, Any]:
    """Who hears of the department's warnings and breaches, and how."""
    with deps.uow() as u:
        change_settings(u, user.username, code, (channel, phone, url), deps.now())
        u.commit()
    log.info("notice settings of %s changed by %s: channel %s", code, user.username, channel)
    return settings(deps, code)


def change_settings(
    u: UnitOfWork,
    by: str,
    code: str,
    contact: tuple[str, str | None, str | None],
    now: datetime,
    effective_at: datetime | None = None,
) -> None:
    """The department's (channel, duty phone, webhook URL), audited in the caller's
    transaction; the department's own edits reuse it."""
    check_contact(*contact)
    before = u.notices.settings(code)
    if before is None:
        raise NotFound("dispatch.unknown_department", code=code)
    u.notices.set_settings(code, *contact)
    after = u.notices.settings(code)
    record_change(u, kind="notice_settings", key=code, action="change", by=by, at=now,
                  before=before, after=after, summary=f"{code}: {contact[0]}",
                  effective_at=effective_at)  # fmt: skip
    u.departments.log({"code": code, "kind": "notice_settings", "action": "change",
                       "before": before, "after": after, "by": by, "at": now,
                       "effective_at": effective_at})  # fmt: skip


def notice_worker(
    deps: DispatchContext, options: DispatchSettings, closers: list[Callable[[], None]]
) -> Worker:
    """The sender with its channels as configured: texts to the local outbox (the notice
    list is the delivery) or an HTTP gateway, webhooks by HTTP."""
    gateway: SmsGateway = LocalOutbox()
    if options.notice_sms == "http":
        http = HttpGateway(
            options.notice_sms_url, options.notice_sms_token, options.notice_timeout_seconds
        )
        closers.append(http.close)
        gateway = http
    webhook = WebhookSender(options.notice_timeout_seconds)
    closers.append(webhook.close)
    backoff = Backoff(options.notice_max_attempts, options.notice_retry_base_seconds)
    sender = NoticeSender(deps, {"sms": BySms(gateway), "webhook": webhook}, backoff)
    return Worker("dispatch-notices", sender.step, idle=0.5)

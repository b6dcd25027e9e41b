"""Notices of a warning (催办) or a breach (超期) to a department's duty contact. Pure.

One notice per assignment, clock and kind: the database's unique key says so, and the notice
is written in the transaction that fires the clock, so a repeated tick, a restart or a
redelivered event never makes a second one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from services.common.errors import Invalid
from services.dispatch.domain.calendar import BEIJING

Channel = Literal["sms", "webhook", "none"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
CLOCK_WORDS = {"acknowledge": "签收", "contact": "联系", "resolve": "办结"}
# A hot-spot alarm's notice: keyed by the alarm (in place of an assignment), its spot
# (category@street) in place of a ticket number.
HOTSPOT = "hotspot"


@dataclass(frozen=True)
class Notice:
    id: str
    assignment_id: str
    ticket_number: str
    department_code: str
    clock: str
    kind: str
    due_at: datetime
    channel: str
    recipient: str
    attempts: int = 0

    def text(self) -> str:
        """The SMS, Chinese as duty officers read it."""
        if self.clock == HOTSPOT:
            category, _, street = self.ticket_number.partition("@")
            return (f"【12345】热点预警：街道{street}的{category}类诉求近7天明显多于往常，"
                    "请关注研判，必要时主动治理。")  # fmt: skip
        due = self.due_at.astimezone(BEIJING).strftime("%m月%d日%H:%M")
        step = CLOCK_WORDS.get(self.clock, self.clock)
        when = f"将于{due}到期" if self.kind == "warning" else f"已于{due}超期"
        return f"【12345】工单{self.ticket_number}的{step}时限{when}，请尽快办理。"

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON; `id` lets the receiver drop a repeat."""
        return {
            "id": self.id,
            "department": self.department_code,
            "assignment": self.assignment_id,
            "ticket_number": self.ticket_number,
            "kind": self.kind,
            "clock": self.clock,
            "due_at": self.due_at.isoformat(),
        }


@dataclass(frozen=True)
class Backoff:
    max_attempts: int = 8
    base_seconds: float = 10.0
    max_seconds: float = 3600.0

    def after_failure(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` failures; None when it is time to give up."""
        if attempts >= self.max_attempts:
            return None
        return now + timedelta(
            seconds=min(self.max_seconds, self.base_seconds * 2 ** (attempts - 1))
        )


def check_contact(channel: str, phone: str | None, url: str | None) -> None:
    """A channel needs its address: a duty phone for SMS, an http(s) URL for a webhook."""
    if channel == "sms" and not phone:
        raise Invalid("dispatch.notice_needs_phone", field="duty_phone")
    if channel == "webhook" and not (url or "").startswith(("http://", "https://")):
        raise Invalid("dispatch.notice_needs_url", field="webhook_url")

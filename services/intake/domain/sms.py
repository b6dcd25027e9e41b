"""Texts intake sends for other services (only intake knows the number): what they say
and when a failed delivery is tried again. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.intake.domain.model import SHANGHAI


class SmsStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"
    no_number = "no_number"
    opted_out = "opted_out"  # the citizen asked for no more milestone texts


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 5.0
    max_seconds: float = 3600.0

    def after_failure(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` failures; None when it is time to give up."""
        if attempts >= self.max_attempts:
            return None
        delay = min(self.max_seconds, self.base_seconds * 2 ** (attempts - 1))
        return now + timedelta(seconds=delay)


def rating_text(
    ticket_number: str, link: str, expires_at: datetime, tracking: str | None = None
) -> str:
    """The rating invitation, Chinese as citizens receive it; the link is single-use. With
    the tracking link, where the department's reply can be read first."""
    until = expires_at.astimezone(SHANGHAI).strftime("%m月%d日")
    reply = f"办理答复见 {tracking} ，" if tracking else ""
    return (
        f"【12345市民服务热线】您反映的问题（工单号{ticket_number}）已办理，{reply}"
        f"请在{until}前点击链接评价办理结果：{link}"
    )


_LINK = re.compile(r"https?://\S+")
REDACTED = "[链接已隐去]"


def redact_links(text: str) -> str:
    """The text with every link replaced: what intake keeps of a text once it is sent."""
    return _LINK.sub(REDACTED, text)

"""The call as an agent logs it, and the ticket it becomes. Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from proto.tickets import Channel, RequestType, TicketCreated, Urgency

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str) -> str:
    """Digits only, +86/0086 dropped; raises InvalidPhone for anything not a Chinese number."""
    digits = re.sub(r"[\s\-()]", "", raw)
    digits = re.sub(r"^(\+86|0086)", "", digits)
    if not (MOBILE.match(digits) or LANDLINE.match(digits)):
        raise InvalidPhone(raw)
    return digits


def mask_phone(phone: str) -> str:
    """138****5678: enough for the caller to recognise, useless to anyone else."""
    return f"{phone[:3]}****{phone[-4:]}"


def caller_key(phone: str, secret: str) -> str:
    return hmac.new(secret.encode(), phone.encode(), hashlib.sha256).hexdigest()[:32]


def ticket_number(created_at: datetime, sequence: int) -> str:
    """Day in Beijing + that day's sequence: short enough to read over the phone."""
    return f"{created_at.astimezone(SHANGHAI):%y%m%d}{sequence:05d}"


@dataclass(frozen=True)
class LogCall:
    channel: Channel
    request_type: RequestType
    category_code: str
    area_code: str | None
    urgency: Urgency
    description: str
    caller_phone: str | None


@dataclass
class Ticket:
    id: str
    number: str
    channel: Channel
    request_type: RequestType
    category_code: str
    category_path: list[str]
    area_code: str | None
    area_path: list[str]
    urgency: Urgency
    description: str
    caller_masked: str | None
    caller_key: str | None
    created_by: str
    created_at: datetime
    status: str = "created"
    department_name: str | None = None

    def created_event(self) -> TicketCreated:
        return TicketCreated(
            number=self.number,
            channel=self.channel,
            request_type=self.request_type,
            category_code=self.category_code,
            category_path=self.category_path,
            area_code=self.area_code,
            area_path=self.area_path,
            urgency=self.urgency,
            description=self.description,
            caller_masked=self.caller_masked,
            caller_key=self.caller_key,
            created_by=self.created_by,
            created_at=self.created_at,
        )

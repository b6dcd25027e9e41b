"""The call as an agent logs it, and the ticket it becomes. Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from proto.envelope import Event
from proto.tickets import (
    CallAttached,
    CategorySuggestion,
    Channel,
    RequestType,
    TicketAnsweredDirectly,
    TicketCreated,
    TicketRaisedForSupervision,
    Urgency,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")
# The third call about one problem puts the ticket in front of a supervisor (督办).
SUPERVISION_AT_CALLS = 3


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


def new_caller_ref() -> str:
    """What other services know a caller by: random, so nothing about the number can be
    recovered from it; only intake's own tables say whose it is."""
    return "cr_" + secrets.token_urlsafe(16)


def ticket_number(created_at: datetime, sequence: int) -> str:
    """Day in Beijing + that day's sequence: short enough to read over the phone."""
    return f"{created_at.astimezone(SHANGHAI):%y%m%d}{sequence:05d}"


def day_start(at: datetime) -> datetime:
    """Midnight in Beijing of the day `at` falls on: where a caller's day of requests starts."""
    return at.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)


def is_frequent(requests_today: int, per_day: int) -> bool:
    """More requests today than `per_day`, the one being logged counted: a cue for agents
    and dispatchers, never a reason to refuse."""
    return requests_today > per_day


@dataclass(frozen=True)
class DirectAnswer:
    text: str
    entry_id: str | None = None


@dataclass(frozen=True)
class LogCall:
    """What the agent submitted. `duplicate_of` attaches the call to that open ticket;
    `answer` closes a consultation at intake; `form_seconds` is how long the form was open;
    `photos` are uploaded photos' ids, attached to the new ticket."""

    channel: Channel
    request_type: RequestType
    category_code: str
    area_code: str | None
    urgency: Urgency
    description: str
    caller_phone: str | None
    address: str | None = None
    duplicate_of: str | None = None
    answer: DirectAnswer | None = None
    form_seconds: float | None = None
    photos: tuple[str, ...] = ()
    # Why a dispatcher must look first (e.g. citizen_unsure); "" lets routing decide.
    review: str = ""
    # The citizen asked that departments not get to call them back: they see no number.
    hide_number: bool = False
    # A proactive ticket's origin (hotspot:<key> or theme:<id>); "" for a citizen's call.
    source: str = ""


@dataclass(frozen=True)
class Caller:
    """The caller as stored: masked form, HMAC key, the number encrypted and the random
    reference other services know them by; or anonymous (all None). `frequent`: above the
    day's threshold of requests, this one counted."""

    masked: str | None = None
    key: str | None = None
    cipher: str | None = None
    ref: str | None = None
    frequent: bool = False


@dataclass
class Call:
    id: str
    ticket_id: str
    channel: Channel
    request_type: RequestType
    description: str
    caller_masked: str | None
    caller_key: str | None
    caller_cipher: str | None
    taken_by: str
    taken_at: datetime
    form_seconds: float | None = None
    caller_ref: str | None = None

    def attached_event(self, calls: int) -> CallAttached:
        return CallAttached(
            call_id=self.id,
            channel=self.channel,
            caller_ref=self.caller_ref,
            has_phone=self.caller_cipher is not None,
            calls=calls,
            attached_by=self.taken_by,
            attached_at=self.taken_at,
            request_type=self.request_type,
            description=self.description,
        )


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
    address: str | None = None
    calls: int = 1
    catalogue_version: int = 1
    status_at: datetime | None = None
    closed_at: datetime | None = None
    answer: str | None = None
    knowledge_entry_id: str | None = None
    caller_ref: str | None = None
    callback_due_until: datetime | None = None
    frequent_caller: bool = False
    # Ids of the photos it was logged with (kept in the photos table, not on the ticket).
    photos: list[str] = field(default_factory=list, repr=False, compare=False)
    # Carried by its TicketCreated only (dispatch keeps the review queue).
    review: str = field(default="", repr=False, compare=False)
    number_hidden: bool = field(default=False, repr=False, compare=False)
    source: str = field(default="", repr=False, compare=False)  # carried by TicketCreated only
    # What the suggester made of the description, for the dispatcher (carried by the event).
    suggestion: CategorySuggestion | None = field(default=None, repr=False, compare=False)
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

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
            caller_ref=self.caller_ref,
            has_phone=self.caller_masked is not None and not self.number_hidden,
            created_by=self.created_by,
            created_at=self.created_at,
            address=self.address or "",
            answered_directly=self.answer is not None,
            photos=self.photos,
            frequent_caller=self.frequent_caller,
            review=self.review,
            source=self.source,
            suggestion=self.suggestion,
        )

    def answer_directly(self, answer: DirectAnswer, by: str, at: datetime) -> None:
        """Closes the ticket at intake with the answer recorded (直接答复)."""
        self.answer = answer.text
        self.knowledge_entry_id = answer.entry_id
        self.status = "answered"
        self.status_at = self.closed_at = at
        self.events.append(
            TicketAnsweredDirectly(
                answer=answer.text,
                knowledge_entry_id=answer.entry_id,
                answered_by=by,
                answered_at=at,
            )
        )


def supervision_due(calls: int, by: str, at: datetime) -> TicketRaisedForSupervision | None:
    """The event for the call that makes the count reach the threshold, once per ticket."""
    if calls != SUPERVISION_AT_CALLS:
        return None
    return TicketRaisedForSupervision(
        reason="repeat_calls", calls=calls, raised_at=at, raised_by=by
    )

"""What a citizen sees of their request, and what a portal report becomes. Pure.

The citizen's timeline keeps only what is theirs to know: that the request was accepted
(and its number), which department leads it, that the department contacted them, the
department's reply (办结答复) with its photos, their own rating, a reopening, the close.
Never who at the hotline or a department did anything, nor any note written for staff
(a dispatcher's instruction, a contact or progress note, a return reason), nor what helping
departments (协办) were asked."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from proto.assignments import AssignmentDispatched, AssignmentResolved, CitizenContacted
from proto.envelope import Event
from proto.feedback import ReopenRequested, TicketClosed, TicketRated
from services.intake.domain.addresses import Area

# The catalogue's leaf for a problem the citizen could not place in it (其他问题).
FALLBACK_CATEGORY = "990101"
UNSURE = "citizen_unsure"

Kind = Literal[
    "accepted", "answered", "dispatched", "contacted", "resolved", "rated", "reopened", "closed"
]


@dataclass(frozen=True)
class Entry:
    kind: Kind
    at: datetime
    department: str | None = None
    text: str | None = None
    photos: tuple[str, ...] = field(default_factory=tuple)


def entry_for(event: Event) -> Entry | None:
    """The citizen-safe entry an event makes, or None when it says nothing the citizen
    should see."""
    match event:
        case AssignmentDispatched(role="lead"):
            return Entry("dispatched", event.dispatched_at, event.department_name)
        case CitizenContacted():
            return Entry("contacted", event.at)
        case AssignmentResolved(role="lead"):
            return Entry(
                "resolved", event.at, event.department_name, event.outcome, tuple(event.photos)
            )
        case TicketRated():
            return Entry("rated", event.at, text=event.satisfaction)
        case ReopenRequested():
            return Entry("reopened", event.at)
        case TicketClosed():
            return Entry("closed", event.at)
    return None


def timeline(
    created_at: datetime, answer: str | None, answered_at: datetime | None, later: list[Entry]
) -> list[Entry]:
    """Accepted first (and answered at once, for a consultation closed at intake), then
    the projected entries in the order they happened."""
    start = [Entry("accepted", created_at)]
    if answer is not None and answered_at is not None:
        start.append(Entry("answered", answered_at, text=answer))
    return start + sorted(later, key=lambda e: e.at)


@dataclass(frozen=True)
class Pinned:
    """What a report is logged as: its category and place, and whether a dispatcher must
    look first because the citizen could not pin one of them down."""

    category_code: str
    area_code: str | None
    review: str


def pin(category_code: str | None, area_code: str | None) -> Pinned:
    """No category: the fallback leaf; no category or no place: the review queue."""
    review = "" if category_code and area_code else UNSURE
    return Pinned(category_code or FALLBACK_CATEGORY, area_code, review)


def accepted_text(ticket_number: str, link: str) -> str:
    """The text a portal report's citizen receives once it is a ticket."""
    return (
        f"【12345市民服务热线】您的诉求已受理，工单号{ticket_number}。"
        f"查看办理进度（也可在该页面退订短信）：{link}"
    )


def code_text(code: str) -> str:
    return f"【12345市民服务热线】您的验证码是{code}，5分钟内有效。请勿告诉他人。"


# Only the districts' seats carry coordinates in the address library (no community has
# any, nor any area an outline), so a position can only suggest the district whose seat
# is nearest, and only close to one: further out, the nearest seat says little.
NEAR_KM = 8.0


def nearest(
    areas: Iterable[Area], lat: float, lon: float, within_km: float = NEAR_KM
) -> Area | None:
    """The area with coordinates nearest the position, if within `within_km`."""
    placed = [
        (_km(lat, lon, a.lat, a.lon), a) for a in areas if a.lat is not None and a.lon is not None
    ]
    best = min(placed, key=lambda pair: pair[0], default=None)
    return best[1] if best and best[0] <= within_km else None


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), plenty for a few kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))

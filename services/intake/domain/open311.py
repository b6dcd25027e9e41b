"""Open311 GeoReport v2 as the city's apps see intake: services from the catalogue's
leaves, requests from tickets, and the rules for what an app may post or ask. Pure: no I/O.
Specification: http://wiki.open311.org/GeoReport_v2 (and /Service_discovery)."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from services.intake.domain.model import InvalidPhone, normalise_phone

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json", "xml": "text/xml"}
# GET requests: the window when no dates are given, the longest one allowed, and at most
# this many requests per answer (the newest first), as the specification recommends.
WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
MAX_DESCRIPTION = 4000
# An app's point is placed in the nearest community of the address library within this.
NEAR_ENOUGH_KM = 3.0
STATUSES = frozenset({"open", "closed"})


class Open311Error(Exception):
    """A refusal in the specification's terms: an HTTP status and a message key
    (services/intake/messages.py) whose text becomes the error's description."""

    def __init__(self, status: int, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.params = params


# --- client applications -------------------------------------------------------------


def new_key() -> str:
    """An app's key: random, shown once; only its hash is kept."""
    return "o311_" + secrets.token_urlsafe(24)


def hash_key(key: str) -> str:
    """Keys are 192 random bits, so a plain SHA-256 cannot be reversed by guessing."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_hint(key: str) -> str:
    """Enough of the key for an admin to tell two apart."""
    return key[:9] + "…"


@dataclass(frozen=True)
class ClientApp:
    id: str
    name: str
    contact: str
    key_hint: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def username(self) -> str:
        """Who the tickets it creates were created by."""
        return f"app:{self.name}"[:64]


# --- service definitions -------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    code: str
    description: str
    datatype: str  # string, number, datetime, text, singlevaluelist, multivaluelist
    required: bool = True
    values: tuple[tuple[str, str], ...] = ()
    datatype_description: str = ""

    def read(self, raw: str | list[str]) -> str:
        """The value as the ticket records it ("时段：夜间"); raises Open311Error."""
        values = [raw] if isinstance(raw, str) else raw
        names = dict(self.values)
        if self.datatype in ("singlevaluelist", "multivaluelist"):
            if self.datatype == "singlevaluelist" and len(values) > 1:
                raise Open311Error(400, "open311.attribute_one_value", code=self.code)
            unknown = [v for v in values if v not in names]
            if unknown:
                raise Open311Error(400, "open311.attribute_value", code=self.code, value=unknown[0])
            return f"{self.description}：{'、'.join(names[v] for v in values)}"
        if self.datatype == "number" and not _is_number(values[0]):
            raise Open311Error(400, "open311.attribute_number", code=self.code)
        return f"{self.description}：{values[0][:200]}"


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


# Leaves where a department needs more than the description: what the app must ask.
ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    "010101": (
        Attribute(
            "noise_period",
            "噪音时段",
            "singlevaluelist",
            values=(("day", "白天（6:00–22:00）"), ("night", "夜间（22:00–6:00）")),
        ),
    ),
    "010601": (
        Attribute(
            "manhole_state",
            "井盖状况",
            "singlevaluelist",
            values=(("missing", "缺失"), ("broken", "破损"), ("loose", "松动、异响")),
        ),
    ),
    "020401": (
        Attribute(
            "indoor_temperature",
            "室内温度（摄氏度）",
            "number",
            required=False,
            datatype_description="例如 16",
        ),
    ),
}


def unknown_attributes(code: str, given: Mapping[str, str | list[str]]) -> tuple[str, ...]:
    """What the app sent that the leaf does not ask for: not kept, and said so in the
    answer's service_notice rather than refused (the specification defines no such error)."""
    wanted = {a.code for a in ATTRIBUTES.get(code, ())}
    return tuple(f"attribute[{c}]" for c in sorted(set(given) - wanted))


def attribute_lines(code: str, given: Mapping[str, str | list[str]]) -> list[str]:
    """Each attribute the leaf asks for, read from what the app sent; a required one
    missing or a value it cannot take refused; any other attribute is left out."""
    wanted = {a.code: a for a in ATTRIBUTES.get(code, ())}
    lines = []
    for attribute in wanted.values():
        raw = given.get(attribute.code)
        if raw in (None, "", []):
            if attribute.required:
                raise Open311Error(400, "open311.attribute_required", code=attribute.code)
            continue
        assert raw is not None
        lines.append(attribute.read(raw))
    return lines


# --- posting a request ---------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A POST requests as the app sent it (form fields of the specification)."""

    service_code: str
    description: str = ""
    lat: float | None = None
    lon: float | None = None
    address_string: str = ""
    address_id: str = ""
    phone: str = ""
    email: str = ""
    media_url: str = ""
    attributes: dict[str, str | list[str]] = field(default_factory=dict)
    # Optional fields sent but not usable (a phone that is no Chinese number): not kept.
    not_kept: tuple[str, ...] = ()


def submission(form: Mapping[str, list[str]]) -> Submission:
    """Reads the spec's fields; location (lat+long, address_string or address_id) is
    required; raises Open311Error naming what is wrong."""
    one = {k: v[-1].strip() for k, v in form.items() if v}
    code = one.get("service_code", "")
    if not code:
        raise Open311Error(400, "open311.service_code_missing")
    lat, lon = _point(one.get("lat", ""), one.get("long", ""))
    address, address_id = one.get("address_string", ""), one.get("address_id", "")
    if lat is None and not address and not address_id:
        raise Open311Error(400, "open311.location_missing")
    description = one.get("description", "")
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, "open311.description_too_long", max=MAX_DESCRIPTION)
    media_url = one.get("media_url", "")
    if media_url and (len(media_url) > 1000 or not re.match(r"^https?://\S+$", media_url)):
        raise Open311Error(400, "open311.media_url")
    phone = _phone(one.get("phone", ""))
    return Submission(
        service_code=code,
        description=description,
        lat=lat,
        lon=lon,
        address_string=address[:500],
        address_id=address_id,
        phone=phone or "",
        email=one.get("email", ""),
        media_url=media_url,
        attributes=_attributes(form),
        not_kept=("phone",) if phone is None else (),
    )


def _phone(raw: str) -> str | None:
    """The number for the caller record; "" when none was sent, None when it is no
    Chinese number (the specification sets no format, so the request is still taken)."""
    if not raw:
        return ""
    try:
        return normalise_phone(raw)
    except InvalidPhone:
        return None


def _point(lat: str, lon: str) -> tuple[float | None, float | None]:
    if not lat and not lon:
        return None, None
    try:
        y, x = float(lat), float(lon)
    except ValueError:
        raise Open311Error(400, "open311.lat_long") from None
    if not (-90 <= y <= 90 and -180 <= x <= 180):
        raise Open311Error(400, "open311.lat_long")
    return y, x


_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


def _attributes(form: Mapping[str, list[str]]) -> dict[str, str | list[str]]:
    """attribute[code]=value, and attribute[code][]=value for a multivaluelist. An empty
    one counts as not sent (the specification's rule for optional arguments)."""
    found: dict[str, str | list[str]] = {}
    for name, given in form.items():
        match = _ATTRIBUTE.match(name)
        values = [v for v in given if v.strip()]
        if match and values:
            found[match[1]] = values if match[2] or len(values) > 1 else values[-1]
    return found


@dataclass(frozen=True)
class Spot:
    """Where the app said the problem is, and what it showed."""

    lat: float | None
    lon: float | None
    media_url: str | None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def nearest(places: Iterable[tuple[str, float, float]], lat: float, lon: float) -> str | None:
    """The code of the nearest place (code, lat, lon) within NEAR_ENOUGH_KM, else None."""
    best: tuple[float, str] | None = None
    for code, y, x in places:
        d = distance_km(lat, lon, y, x)
        if d <= NEAR_ENOUGH_KM and (best is None or d < best[0]):
            best = (d, code)
    return best[1] if best else None


_OWN_PHOTO = re.compile(r"/media/(ph_[A-Za-z0-9_-]{8,40})$")


def own_photo(media_url: str, base: str) -> str | None:
    """The id of a photo the app uploaded to this intake (POST /api/v1/photos) and links
    to: the ticket then holds the photo itself, kept like any citizen's."""
    if not media_url.startswith(base.rstrip("/") + "/media/"):
        return None
    found = _OWN_PHOTO.search(media_url)
    return found[1] if found else None


def description_for(sub: Submission, service_name: str, lines: list[str]) -> str:
    """The ticket's description: what the citizen wrote, then the attributes; the
    service's name when the app sent neither."""
    text = "\n".join([sub.description, *lines]).strip()
    return (text or service_name)[:MAX_DESCRIPTION]


# --- reading requests ----------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    """GET requests: ids override everything else (as the specification says); else a
    window of at most 90 days (the last 90 by default), services and statuses."""

    numbers: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] = STATUSES
    limit: int = MAX_REQUESTS


def joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The query's parameters, a repeated one's values joined by commas: the specification
    lets service_code and status be "declared multiple times, comma delimited"."""
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        found.setdefault(name, []).append(value)
    return {name: ",".join(values) for name, values in found.items()}


def request_query(params: Mapping[str, str], now: datetime) -> RequestQuery:
    numbers = _listed(params.get("service_request_id", ""))
    if len(numbers) > MAX_REQUESTS:
        raise Open311Error(400, "open311.too_many_ids", max=MAX_REQUESTS)
    if numbers:
        return RequestQuery(numbers=numbers)
    start, end = _window(_when(params, "start_date"), _when(params, "end_date"), now)
    statuses = frozenset(_listed(params.get("status", ""))) or STATUSES
    if not statuses <= STATUSES:
        raise Open311Error(400, "open311.status", value=",".join(sorted(statuses - STATUSES)))
    codes = _listed(params.get("service_code", ""))
    return RequestQuery(codes=codes, start=start, end=end, statuses=statuses)


def _listed(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))


def _when(params: Mapping[str, str], name: str) -> datetime | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    # An offset's "+" sent unencoded in the query arrives as a space.
    raw = _LOST_PLUS.sub(r"+\1", raw)
    try:
        day = _W3C_DATE.match(raw)
        found = _period(day, last=name == "end_date") if day else datetime.fromisoformat(raw)
    except ValueError:
        raise Open311Error(400, "open311.date", name=name) from None
    if found.tzinfo is None:  # a time of day needs its offset (the specification's rule)
        raise Open311Error(400, "open311.date", name=name)
    return found


_LOST_PLUS = re.compile(r"(?<=\d) (\d{2}:?\d{2})$")
# The W3C note's dates without a time (YYYY, YYYY-MM, YYYY-MM-DD) carry no offset.
_W3C_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _period(day: re.Match[str], last: bool) -> datetime:
    """A date without a time is that whole year, month or day of the city's calendar: its
    first instant, or its last one for end_date."""
    year, month, date = day[1], day[2], day[3]
    first = datetime(int(year), int(month or 1), int(date or 1), tzinfo=BEIJING)
    if not last:
        return first
    if date:
        following = first + timedelta(days=1)
    elif month:
        following = (first + timedelta(days=32)).replace(day=1)
    else:
        following = first.replace(year=first.year + 1)
    return following - timedelta(microseconds=1)


def _window(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        assert end is not None
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if start > end:
        raise Open311Error(400, "open311.date_order")
    if end - start > WINDOW:
        raise Open311Error(400, "open311.date_span", days=WINDOW.days)
    return start, end


# Numbers and addresses a caller or an agent may have typed into free text: the public
# list never shows them.
_PHONE = re.compile(
    r"(?<!\d)(?:\+?86[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}[\s-]?\d{7,8})(?!\d)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# The city's offset; China keeps no daylight saving, and a fixed offset formats fastest.
BEIJING = timezone(timedelta(hours=8))


def redact(text: str | None) -> str | None:
    """Texts without an @ skip the address pattern, which would otherwise try every run
    of letters (Chinese included) as a mailbox name."""
    if not text:
        return text
    text = _PHONE.sub("***", text)
    return _EMAIL.sub("***", text) if "@" in text else text


def when(moment: datetime | None) -> str | None:
    """ISO 8601 with the city's offset, as the specification requires."""
    return moment.astimezone(BEIJING).isoformat(timespec="seconds") if moment else None


@dataclass(frozen=True)
class Area:
    """What the public list shows of a ticket's area: its full name and, when the
    library knows it, its centre."""

    name: str
    centre: tuple[float, float] | None = None


def service_request(
    row: Mapping[str, Any], service_name: str, area: Area | None, base: str
) -> dict[str, Any]:
    """One ticket as the public sees it: no phone, no email, no caller, no staff names;
    numbers typed into the texts are masked. Keys in the specification's order; the point
    is the app's, else the area's centre; the media is the app's link, else the ticket's
    first photo on this intake (`base`)."""
    lat, lon = (row["lat"], row["lon"]) if row["lat"] is not None else (None, None)
    if lat is None and area and area.centre:
        lat, lon = area.centre
    return {
        "service_request_id": row["number"],
        "status": "closed" if row["closed"] else "open",
        "status_notes": redact(row["status_notes"]),
        "service_name": service_name,
        "service_code": row["category_code"],
        "description": redact(row["description"]),
        "agency_responsible": row["department_name"],
        "service_notice": None,
        "requested_datetime": when(row["created_at"]),
        "updated_datetime": when(row["status_at"] or row["created_at"]),
        "expected_datetime": when(row["expected_at"]),
        "address": redact(row["address"] or (area.name if area else None)),
        "address_id": row["area_code"],
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": row["media_url"] or _photo_url(base, row.get("photo_id")),
    }


def _photo_url(base: str, photo_id: str | None) -> str | None:
    return f"{base.rstrip('/')}/media/{photo_id}" if photo_id else None

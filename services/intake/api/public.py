"""The citizen portal's routes: no account. Report a problem (a code to the number first),
follow it by its tracking link or by its number and a code. Every answer is no-store; the
pages that use them (served with the other pages) keep their token out of Referer headers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from proto.tickets import RequestType
from services.common.auth import Role, require_roles
from services.common.clients import Networks, client_address
from services.common.errors import Gone, NotFound
from services.common.idempotency import idempotent
from services.common.openapi import problem_answers
from services.common.problems import Problem
from services.common.text import CleanText
from services.common.web import root_path
from services.intake.api.limits import limited
from services.intake.api.models import Address
from services.intake.api.privacy import NoStore
from services.intake.domain.portal import Entry, nearest
from services.intake.handlers import catalogue, portal, tracking
from services.intake.handlers.context import IntakeContext

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
Token = Annotated[str, Path(min_length=10, max_length=120)]
# Ids and digits in their own characters only (ASCII: \d also takes full-width digits); a
# NUL, which PostgreSQL refuses in text, never reaches a query.
CodeId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Query100 = Annotated[str, Query(max_length=100)]
PhotoId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CodeCreate(Strict):
    phone: str = Field(min_length=1, max_length=32, description="The citizen's mobile number")


class TrackCodeCreate(Strict):
    number: str = Field(pattern=r"^[0-9]{11}$", description="The ticket number (工单号)")


class CodeSentRead(BaseModel):
    id: str
    expires_at: datetime


class CodeCheck(Strict):
    code: str = Field(pattern=r"^[0-9]{6}$", description="The 6 digits texted to the number")


class CodeChecked(BaseModel):
    proof: str | None = Field(None, description="Report codes: vouches for the number once")
    tracking_url: str | None = Field(None, description="Tracking codes: the ticket's link")


class ReportCreate(Strict):
    phone: str = Field(min_length=1, max_length=32)
    proof: str = Field(min_length=1, max_length=64, description="From the verified code")
    request_type: RequestType = "complaint"
    category_code: str | None = Field(
        None, min_length=1, max_length=32, description="Omit when unsure: a dispatcher decides"
    )
    area_code: str | None = Field(
        None, min_length=1, max_length=32, description="Omit when unsure: `address` says where"
    )
    address: Address | None = None
    description: CleanText = Field(min_length=1, max_length=2000)
    photos: list[PhotoId] = Field(default_factory=list, max_length=3)
    hide_number: StrictBool = Field(False, description="Departments get no way to call back")

    def report(self) -> portal.Report:
        return portal.Report(
            phone=self.phone,
            proof=self.proof,
            request_type=self.request_type,
            category_code=self.category_code,
            area_code=self.area_code,
            address=self.address,
            description=self.description,
            photos=tuple(self.photos),
            hide_number=self.hide_number,
        )


class ReportReceipt(BaseModel):
    ticket_number: str
    tracking_url: str
    under_review: bool = Field(description="A dispatcher places the request first")


class PhotoRead(BaseModel):
    url: str
    thumbnail_url: str


class EntryRead(BaseModel):
    kind: str
    at: datetime
    department: str | None
    text: str | None
    photos: list[PhotoRead]


class TimelineRead(BaseModel):
    number: str
    request_type: str
    category: str
    place: str
    status: str
    texts: bool = Field(description="Milestone texts are sent to the number")
    number_hidden: bool = Field(description="The citizen asked that departments get no number")
    entries: list[EntryRead]


class TextsUpdate(Strict):
    receive: StrictBool


class CategoryHit(BaseModel):
    code: str
    name: str
    path: list[str]


class PlaceHit(BaseModel):
    code: str
    path: list[str]


@contextmanager
def _throttled() -> Iterator[None]:
    try:
        yield
    except portal.Throttled as exc:
        raise Problem(429, exc.code, headers={"Retry-After": "60"}) from None


def _entry(e: Entry, root: str) -> EntryRead:
    photos = [
        PhotoRead(url=f"{root}/media/{p}", thumbnail_url=f"{root}/media/{p}/thumbnail")
        for p in e.photos
    ]
    return EntryRead(kind=e.kind, at=e.at, department=e.department, text=e.text, photos=photos)


def router(intake: IntakeContext, proxies: Networks, per_minute: int = 300) -> APIRouter:
    # Every route, reads too: a tracking token or a ticket's code is not guessed by script.
    limit = limited(per_minute, proxies, "portal")
    api = APIRouter(prefix="/api/v1/public", tags=["citizen"], dependencies=[NoStore, limit])

    async def citizen(request: Request) -> str:
        return client_address(request, proxies)

    # By default value: an annotation naming `citizen` could not be resolved later.
    client_of = Depends(citizen)

    @api.get("/categories")
    def search_categories(
        q: Query100 = "", limit: Annotated[int, Query(ge=1, le=20)] = 8
    ) -> list[CategoryHit]:
        """Current leaves by name, pinyin initials (zyrm) or keyword."""
        tree = catalogue.current(intake)
        return [
            CategoryHit(code=h.category.code, name=h.category.name, path=tree.path(h.category.code))
            for h in tree.search(q, limit)
        ]

    @api.get("/places")
    def suggest_places(
        q: Query100 = "", limit: Annotated[int, Query(ge=1, le=20)] = 8
    ) -> list[PlaceHit]:
        """Communities, streets and districts by name or pinyin initials (朝阳 永安里)."""
        return [PlaceHit(code=s.area.code, path=s.path) for s in intake.addresses.suggest(q, limit)]

    @api.get("/places/near", responses=problem_answers(NotFound))
    def near(
        lat: Annotated[float, Query(ge=-90, le=90)], lon: Annotated[float, Query(ge=-180, le=180)]
    ) -> PlaceHit:
        """The district whose seat is nearest the position (the library has no finer
        coordinates); 404 when none is close. The citizen still picks the community."""
        found = nearest(intake.addresses.areas.values(), lat, lon)
        if found is None:
            raise NotFound("intake.portal.no_place_near")
        return PlaceHit(code=found.code, path=intake.addresses.path(found.code))

    @api.post("/codes", status_code=status.HTTP_202_ACCEPTED)
    def send_code(body: CodeCreate, client: str = client_of) -> CodeSentRead:
        """Texts a 6-digit code (5 minutes, 5 attempts) to the number. 429: too many codes
        for this number or from this address within the hour."""
        with _throttled():
            sent = portal.request_code(intake, body.phone, client)
        return CodeSentRead(id=sent.id, expires_at=sent.expires_at)

    @api.post("/lookups", status_code=status.HTTP_202_ACCEPTED)
    def send_tracking_code(body: TrackCodeCreate, client: str = client_of) -> CodeSentRead:
        """Texts a code to the number on the ticket, if it has one (the answer is the same
        either way)."""
        with _throttled():
            sent = portal.request_tracking_code(intake, body.number, client)
        return CodeSentRead(id=sent.id, expires_at=sent.expires_at)

    @api.post("/codes/{code_id}/verify", responses=problem_answers(Gone))
    def verify_code(code_id: CodeId, body: CodeCheck) -> CodeChecked:
        """422: wrong (with the attempts left); 410: expired or already used; 429: no
        attempts left."""
        with _throttled():
            code = portal.verify_code(intake, code_id, body.code)
        if code.purpose == "track" and code.ticket_id:
            link = tracking.tracking_link(intake, code.ticket_id)
            return CodeChecked(proof=None, tracking_url=link)
        return CodeChecked(proof=code.proof_hash, tracking_url=None)

    @api.post("/reports", status_code=status.HTTP_201_CREATED, dependencies=[idempotent(citizen)])
    def report(body: ReportCreate, client: str = client_of) -> ReportReceipt:
        """A ticket (channel web) from a verified number. Without a category or a place the
        citizen could pin down it goes to a dispatcher's review queue."""
        with _throttled():
            done = portal.submit(intake, body.report(), client)
        return ReportReceipt(
            ticket_number=done.number,
            tracking_url=done.tracking_url,
            under_review=bool(done.review),
        )

    @api.get("/track/{token}")
    def follow(token: Token, request: Request) -> TimelineRead:
        """What the citizen may see of their ticket. 404: not a valid link (or revoked)."""
        seen = tracking.follow(intake, token)
        root = root_path(request)
        return TimelineRead(
            number=seen.number,
            request_type=seen.request_type,
            category=seen.category,
            place=seen.place,
            status=seen.status,
            texts=seen.texts,
            number_hidden=seen.number_hidden,
            entries=[_entry(e, root) for e in seen.entries],
        )

    @api.put("/track/{token}/texts")
    def texts(token: Token, body: TextsUpdate) -> TextsUpdate:
        """Milestone texts on or off for the ticket's number (opt-out)."""
        return TextsUpdate(receive=tracking.set_texts(intake, token, body.receive))

    return api


def staff_router(intake: IntakeContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["citizen"], dependencies=[NoStore])

    @api.post(
        "/tickets/{ticket_id}/tracking/revoke",
        status_code=status.HTTP_204_NO_CONTENT,
        dependencies=[Depends(require_roles(Role.admin))],
    )
    def revoke_tracking(ticket_id: str) -> Response:
        """Every tracking link of the ticket issued until now stops working (a lost phone);
        the citizen gets a new one by the ticket number and a code."""
        tracking.revoke(intake, ticket_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return api

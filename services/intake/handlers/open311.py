"""Open311 use cases: the catalogue's leaves as services, a city app's request logged as
a call (channel `app`) through the same use case as an agent's, the public list of
requests, and the admin's register of apps and their keys."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from types import TracebackType
from typing import Any, cast

from proto.envelope import new_id
from services.common.auth import Principal, Role
from services.common.errors import Invalid, NotFound
from services.intake.domain import open311
from services.intake.domain.addresses import AddressLibrary
from services.intake.domain.catalogue import Catalogue, CatalogueError, Category
from services.intake.domain.model import LogCall, Ticket
from services.intake.domain.open311 import (
    ATTRIBUTES,
    ClientApp,
    Open311Error,
    RequestQuery,
    Spot,
    Submission,
)
from services.intake.handlers import calls, catalogue
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.ports import Tickets, UnitOfWork


@dataclass(frozen=True)
class Service:
    category: Category
    path: list[str]
    metadata: bool

    @property
    def group(self) -> str:
        return self.path[0]


def changed_at(intake: IntakeContext) -> datetime | None:
    """When the catalogue, and so the list of services, last changed."""
    with intake.uow() as uow:
        latest = uow.catalogue.changes(1)
    return latest[0]["changed_at"] if latest else None


def services(intake: IntakeContext) -> list[Service]:
    """Every current leaf, grouped by its top-level category."""
    tree = catalogue.current(intake)
    return [_service(tree, leaf) for leaf in tree.leaves()]


def _service(tree: Catalogue, leaf: Category) -> Service:
    return Service(leaf, tree.path(leaf.code), leaf.code in ATTRIBUTES)


def definition(intake: IntakeContext, code: str) -> tuple[Service, tuple[open311.Attribute, ...]]:
    """The attributes an app must ask for: none for a leaf whose metadata is false (the
    specification's 404 is for a service_code that does not exist)."""
    tree = catalogue.current(intake)
    leaf = _leaf(tree, code)
    return _service(tree, leaf), ATTRIBUTES.get(leaf.code, ())


def _leaf(tree: Catalogue, code: str) -> Category:
    """404 for a service_code that is not a current leaf, in every method that takes one."""
    try:
        return tree.usable_leaf(code)
    except CatalogueError:
        raise Open311Error(404, "open311.service_not_found", code=code) from None


# --- posting -------------------------------------------------------------------------


def submit(
    intake: IntakeContext, app: ClientApp, sub: Submission, base: str
) -> tuple[Ticket, tuple[str, ...]]:
    """Checks everything first, then logs the request as a call: the ticket, its place,
    its photo and its events commit together or not at all. `base` is this intake's
    public URL, to know its own photos' links. Also returns the fields sent but not kept."""
    tree = catalogue.current(intake)
    leaf = _leaf(tree, sub.service_code)
    lines = open311.attribute_lines(leaf.code, sub.attributes)
    not_kept = sub.not_kept + open311.unknown_attributes(leaf.code, sub.attributes)
    area, address = _place(intake, sub)
    photo = open311.own_photo(sub.media_url, base)
    if sub.address_string and address is None:
        lines.append(f"地址：{sub.address_string}")
    cmd = LogCall(
        channel="app",
        request_type="report",
        category_code=leaf.code,
        area_code=area,
        urgency="general",
        description=open311.description_for(sub, leaf.name, lines),
        caller_phone=sub.phone or None,
        address=address,
        photos=(photo,) if photo else (),
    )
    spot = Spot(sub.lat, sub.lon, None if photo else sub.media_url or None)
    located = replace(intake, uow=lambda: cast(UnitOfWork, _Located(intake.uow(), spot)))
    principal = Principal(username=app.username, name=app.name, role=Role.agent)
    try:
        return calls.log_call(located, cmd, principal).ticket, not_kept
    except Invalid as exc:  # the number, or the photo: told in intake's own words
        raise Open311Error(400, exc.code, **exc.params) from None


def _place(intake: IntakeContext, sub: Submission) -> tuple[str | None, str | None]:
    """The area from address_id, else the library's place nearest the point, else one
    the address pins down; the address text is kept as the app sent it. An address the
    library cannot place still makes a ticket (the text goes into the description)."""
    address = sub.address_string or None
    if sub.address_id:
        if intake.addresses.get(sub.address_id) is None:
            raise Open311Error(400, "open311.address_id", code=sub.address_id)
        return sub.address_id, address
    if sub.lat is not None and sub.lon is not None:
        places = (
            (a.code, a.lat, a.lon)
            for a in intake.addresses.areas.values()
            if a.lat is not None and a.lon is not None
        )
        code = open311.nearest(places, sub.lat, sub.lon)
        if code:
            return code, address
    found = intake.addresses.unambiguous(address) if address else None
    return (found.area.code, address) if found else (None, None)


class _Located:
    """Intake's unit of work for one app's request: the ticket, once added, gets the
    app's coordinates and media in the same transaction."""

    def __init__(self, inner: UnitOfWork, spot: Spot):
        self._inner = inner
        self._spot = spot

    def __enter__(self) -> UnitOfWork:
        uow = self._inner.__enter__()
        # The unit of work's repositories are built per transaction; this one is only ours.
        uow.tickets = cast(Tickets, _LocatedTickets(uow, self._spot))  # type: ignore[misc]
        return uow

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)


class _LocatedTickets:
    def __init__(self, uow: UnitOfWork, spot: Spot):
        self._tickets = uow.tickets
        self._open311 = uow.open311
        self._spot = spot

    def add(self, ticket: Ticket) -> None:
        self._tickets.add(ticket)
        self._open311.locate(ticket.id, self._spot)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tickets, name)


# --- reading -------------------------------------------------------------------------


def requests(intake: IntakeContext, query: RequestQuery, base: str) -> list[dict[str, Any]]:
    """Tickets of every channel as the public sees them; `base` is this intake's public
    URL (for photos' links)."""
    with intake.uow() as uow:
        rows = uow.open311.find(query)
        tree = intake.catalogue.get(uow.catalogue)
    found = []
    for row in rows:
        code = row["area_code"]
        area = _area(intake.addresses, code) if code else None
        leaf = tree.get(row["category_code"])
        name = leaf.name if leaf else row["category_code"]
        found.append(open311.service_request(row, name, area, base))
    return found


@lru_cache(maxsize=8192)
def _area(addresses: AddressLibrary, code: str) -> open311.Area | None:
    """The library is loaded once per process and never changes, so each area's public
    form is worked out once."""
    lineage = addresses.lineage(code)
    if not lineage:
        return None
    place = lineage[-1]
    centre = (place.lat, place.lon) if place.lat is not None and place.lon is not None else None
    return open311.Area("".join(a.name for a in lineage), centre)


def request(intake: IntakeContext, number: str, base: str) -> dict[str, Any]:
    found = requests(intake, RequestQuery(numbers=(number,)), base)
    if not found:
        raise Open311Error(404, "open311.request_not_found", id=number)
    return found[0]


# --- client applications -------------------------------------------------------------


def authenticate(intake: IntakeContext, key: str) -> ClientApp:
    if not key:
        raise Open311Error(403, "open311.api_key")
    with intake.uow() as uow:
        app = uow.open311.client_by_key(open311.hash_key(key))
    if app is None:
        raise Open311Error(403, "open311.api_key")
    return app


def register_client(
    intake: IntakeContext, name: str, contact: str, admin: Principal
) -> tuple[ClientApp, str]:
    """The new app and its key, which is shown this once and stored only hashed."""
    key = open311.new_key()
    app = ClientApp(
        id=new_id(),
        name=name,
        contact=contact,
        key_hint=open311.key_hint(key),
        created_by=admin.username,
        created_at=intake.clock(),
    )
    with intake.uow() as uow:
        if uow.open311.client_named(name):
            raise Invalid("open311.client_exists", field="name", name=name)
        uow.open311.add_client(app, open311.hash_key(key))
        uow.commit()
    return app, key


def clients(intake: IntakeContext) -> list[ClientApp]:
    with intake.uow() as uow:
        return uow.open311.clients()


def revoke_client(intake: IntakeContext, client_id: str, admin: Principal) -> None:
    """Who revoked the key and when stay on the app's record (留痕)."""
    with intake.uow() as uow:
        if not uow.open311.revoke(client_id, admin.username, intake.clock()):
            raise NotFound("open311.client_not_found", id=client_id)
        uow.commit()

"""Open311 GeoReport v2 under /open311/v2/ for city apps (format from the path's suffix),
and the admin's register of the apps allowed to post (/api/v1/open311/clients).
Every refusal is in the specification's error form; nothing here answers 422 or 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.common.auth import CurrentUser, Role, require_roles
from services.common.clients import Networks
from services.common.clock import utcnow
from services.common.i18n import negotiate, t
from services.common.ratelimit import FixedWindowLimiter
from services.common.text import CleanText, clean
from services.intake import metrics
from services.intake.api.limits import wait_for
from services.intake.api.open311_formats import errors, render
from services.intake.config import IntakeSettings
from services.intake.domain import open311
from services.intake.domain.open311 import FORMATS, SPECIFICATION, ClientApp, Open311Error
from services.intake.handlers import open311 as handlers
from services.intake.handlers.context import IntakeContext

PREFIX = "/open311/v2"
Admins = Depends(require_roles(Role.admin))


def routers(
    intake: IntakeContext, options: IntakeSettings, proxies: Networks = ()
) -> list[APIRouter]:
    return [_public_router(intake, options, proxies), _admin_router(intake)]


def _public_router(intake: IntakeContext, options: IntakeSettings, proxies: Networks) -> APIRouter:
    # Documented by the GeoReport v2 specification and its discovery document, not here:
    # its formats (XML, the spec's error array) are not this API's JSON and problems.
    api = APIRouter(prefix=PREFIX, tags=["open311"], include_in_schema=False)
    guard = _Guard(options, proxies)
    _discovery(api, intake, options, guard)
    _services(api, intake, guard)
    _requests(api, intake, guard)
    _unknown(api, guard)
    return api


class _Guard:
    """What every Open311 route checks first: the format, the jurisdiction, and for posts
    the key's rate; it also turns a refusal into the specification's error form."""

    def __init__(self, options: IntakeSettings, proxies: Networks = ()):
        self.jurisdiction = options.open311_jurisdiction_id
        self.limiter = FixedWindowLimiter(options.open311_posts_per_minute, 60.0)
        self.per_address = FixedWindowLimiter(options.open311_requests_per_minute, 60.0)
        self.proxies = proxies

    def answer(self, request: Request, fmt: str, produce: Callable[[], Response]) -> Response:
        if fmt not in FORMATS:
            return self.refuse(request, "json", Open311Error(400, "open311.format"))
        try:
            self.check_address(request)
            check_characters(request)
            self.check_jurisdiction(request.query_params.get("jurisdiction_id"))
            return produce()
        except Open311Error as exc:
            return self.refuse(request, fmt, exc)

    def check_jurisdiction(self, given: str | None) -> None:
        if given and given != self.jurisdiction:
            raise Open311Error(404, "open311.jurisdiction", value=given, expected=self.jurisdiction)

    def check_address(self, request: Request) -> None:
        """Per client address, keyed or not: no script guesses keys or scrapes the list."""
        seconds = wait_for(self.per_address, request, self.proxies)
        if seconds:
            metrics.RATE_LIMITED.labels("open311").inc()
            raise Open311Error(429, "open311.address_rate_limited", seconds=seconds)

    def throttle(self, app: ClientApp) -> None:
        wait = self.limiter.hit(app.id)
        if wait is not None:
            raise Open311Error(429, "open311.rate_limited", seconds=max(1, round(wait)))

    @staticmethod
    def refuse(request: Request, fmt: str, exc: Open311Error) -> Response:
        lang = negotiate(request.headers.get("accept-language"))
        return errors(fmt, exc.status, t(exc.key, lang, **exc.params))


def _discovery(
    api: APIRouter, intake: IntakeContext, options: IntakeSettings, guard: _Guard
) -> None:
    @api.get("/discovery")
    @api.get("/discovery.{fmt}")
    def discovery(request: Request, fmt: Format) -> Response:
        """Where the GeoReport v2 endpoint is, in which formats, and whom to ask for a key."""

        def produce() -> Response:
            changed = open311.when(handlers.changed_at(intake))
            endpoint = {
                "specification": SPECIFICATION,
                "url": _base(request) + PREFIX,
                "changeset": changed,
                "type": "production",
                "formats": list(FORMATS.values()),
            }
            body = {
                "changeset": changed,
                "contact": options.open311_contact,
                "key_service": options.open311_key_service,
                "endpoints": [endpoint],
            }
            return render(fmt, "discovery", body)

        return guard.answer(request, fmt, produce)


def _services(api: APIRouter, intake: IntakeContext, guard: _Guard) -> None:
    @api.get("/services")
    @api.get("/services.{fmt}")
    def services(request: Request, fmt: Format) -> Response:
        """Every current leaf of the catalogue; `metadata` is true where the leaf has
        attributes (GET services/{service_code})."""

        def produce() -> Response:
            body = [
                {
                    "service_code": s.category.code,
                    "service_name": s.category.name,
                    "description": "/".join(s.path),
                    "metadata": s.metadata,
                    "type": "realtime",
                    "keywords": ",".join(s.category.keywords),
                    "group": s.group,
                }
                for s in handlers.services(intake)
            ]
            return render(fmt, "services", body)

        return guard.answer(request, fmt, produce)

    @api.get("/services/{service_code}")
    @api.get("/services/{service_code}.{fmt}")
    def service_definition(request: Request, service_code: str, fmt: Format) -> Response:
        """The attributes an app asks the citizen for this service."""

        def produce() -> Response:
            service, attributes = handlers.definition(intake, service_code)
            body = {
                "service_code": service.category.code,
                "attributes": [_attribute(a, i) for i, a in enumerate(attributes, 1)],
            }
            return render(fmt, "service_definition", body)

        return guard.answer(request, fmt, produce)


def _attribute(a: open311.Attribute, order: int) -> dict[str, Any]:
    return {
        "variable": True,
        "code": a.code,
        "datatype": a.datatype,
        "required": a.required,
        "datatype_description": a.datatype_description or None,
        "order": order,
        "description": a.description,
        "values": [{"key": k, "name": n} for k, n in a.values],
    }


def _requests(api: APIRouter, intake: IntakeContext, guard: _Guard) -> None:
    @api.post("/requests")
    @api.post("/requests.{fmt}")
    async def post_request(request: Request, fmt: Format) -> Response:
        """A citizen's request from a registered app (form-encoded, with its api_key);
        answered at once with its service_request_id, the ticket's number."""
        form = await _form(request)
        key = (form.get("api_key") or [request.query_params.get("api_key", "")])[-1]

        def produce() -> Response:
            guard.check_jurisdiction((form.get("jurisdiction_id") or [""])[-1])
            app = handlers.authenticate(intake, key)
            guard.throttle(app)
            sub = open311.submission(form)
            ticket, not_kept = handlers.submit(intake, app, sub, _base(request))
            # The specification's answer: 200 (it names no other success), the id, no token.
            notice = _not_kept(request, not_kept)
            body = [
                {"service_request_id": ticket.number, "service_notice": notice, "account_id": None}
            ]
            return render(fmt, "service_requests", body)

        return await anyio.to_thread.run_sync(guard.answer, request, fmt, produce)

    @api.get("/requests")
    @api.get("/requests.{fmt}")
    def get_requests(request: Request, fmt: Format) -> Response:
        """The city's public list: tickets of every channel, newest first, without
        personal data."""

        def produce() -> Response:
            params = open311.joined(request.query_params.multi_items())
            query = open311.request_query(params, utcnow())
            found = handlers.requests(intake, query, _base(request))
            return render(fmt, "service_requests", found)

        return guard.answer(request, fmt, produce)

    @api.get("/requests/{service_request_id}")
    @api.get("/requests/{service_request_id}.{fmt}")
    def get_request(request: Request, service_request_id: str, fmt: Format) -> Response:
        def produce() -> Response:
            found = handlers.request(intake, service_request_id, _base(request))
            return render(fmt, "service_requests", [found])

        return guard.answer(request, fmt, produce)

    @api.get("/tokens/{token}")
    @api.get("/tokens/{token}.{fmt}")
    def get_token(request: Request, token: str, fmt: Format) -> Response:
        """Posting answers with the service_request_id at once, so no token is issued."""

        def produce() -> Response:
            raise Open311Error(404, "open311.request_not_found", id=token)

        return guard.answer(request, fmt, produce)


def _unknown(api: APIRouter, guard: _Guard) -> None:
    @api.get("/{path:path}")
    @api.post("/{path:path}")
    def unknown(request: Request, path: str) -> Response:
        """Any other path under the endpoint: a 404 in the specification's error form."""
        suffix = path.rsplit(".", 1)[-1].lower() if "." in path else _format(request)
        fmt = suffix if suffix in FORMATS else "json"
        return guard.refuse(request, fmt, Open311Error(404, "open311.not_found"))


def _not_kept(request: Request, fields: tuple[str, ...]) -> str | None:
    """The answer's service_notice when some of what the app sent could not be used."""
    if not fields:
        return None
    lang = negotiate(request.headers.get("accept-language"))
    return t("open311.not_kept", lang, fields=", ".join(fields))


def _format(request: Request) -> str:
    """The path's suffix, in any case; without one, JSON for an app that accepts JSON and
    not XML, else XML (the specification's required format)."""
    given = request.path_params.get("fmt")
    if given is not None:
        return str(given).lower()
    accept = request.headers.get("accept", "").lower()
    return "json" if "json" in accept and "xml" not in accept else "xml"


# Inner decorators register first: "/requests/{id}.{fmt}" must be tried before
# "/requests/{id}", which would otherwise take "123.json" for the id.
Format = Annotated[str, Depends(_format)]


def _base(request: Request) -> str:
    """This intake's public URL as the app reached it (with the proxy's prefix)."""
    return str(request.base_url).rstrip("/")


async def _form(request: Request) -> dict[str, list[str]]:
    """The form's text fields, each with all its values (attribute[x][] may repeat)."""
    try:
        form = await request.form()
    except Exception:  # a malformed body is no form: the fields are then missing
        return {}
    found: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):  # control characters dropped: NUL cannot be stored
            found.setdefault(clean(name), []).append(clean(value))
    return found


def check_characters(request: Request) -> None:
    """Ids, codes and filters carry no control character; one there (a NUL, which
    PostgreSQL refuses in text) is a malformed request, not a search."""
    given = [*request.path_params.values(), *request.query_params.values()]
    if any(isinstance(v, str) and clean(v) != v for v in given):
        raise Open311Error(400, "open311.control_characters")


# --- the admin's register of apps ----------------------------------------------------


class ClientCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: CleanText = Field(
        min_length=1, max_length=100, description="The app's name, shown on tickets"
    )
    contact: CleanText = Field(default="", max_length=200, description="Who answers for the app")


class ClientRead(BaseModel):
    id: str
    name: str
    contact: str
    key_hint: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None

    @classmethod
    def of(cls, app: ClientApp) -> ClientRead:
        return cls(**{f: getattr(app, f) for f in cls.model_fields})


class ClientRegistered(ClientRead):
    api_key: str = Field(description="Shown this once; only its hash is kept")


def _admin_router(intake: IntakeContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1/open311", tags=["open311"], dependencies=[Admins])

    @api.post("/clients", status_code=status.HTTP_201_CREATED)
    def register_client(body: ClientCreate, user: CurrentUser) -> ClientRegistered:
        """A city app and its API key."""
        app, key = handlers.register_client(intake, body.name, body.contact, user)
        return ClientRegistered(**ClientRead.of(app).model_dump(), api_key=key)

    @api.get("/clients")
    def list_clients() -> list[ClientRead]:
        return [ClientRead.of(app) for app in handlers.clients(intake)]

    @api.delete("/clients/{client_id}", status_code=status.HTTP_204_NO_CONTENT)
    def revoke_client(client_id: Annotated[str, Path(max_length=32)], user: CurrentUser) -> None:
        """The app's key stops working at once."""
        handlers.revoke_client(intake, client_id, user)

    return api

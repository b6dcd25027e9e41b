"""SLA policies (time limits): dispatchers and leaders read them, admins change a policy or
which categories take it, at once or from a later date."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from proto.vocabulary import Urgency
from services.common.auth import CurrentUser, Role, require_roles
from services.common.idempotency import Idempotent
from services.common.scheduled import ScheduledRead
from services.dispatch.api.models import Input
from services.dispatch.handlers import sla
from services.dispatch.handlers.context import DispatchContext

Readers = Depends(require_roles(Role.dispatcher, Role.leader))
# Edits: the guard first, then the key (scoped to the admin).
Edits = [Depends(require_roles(Role.admin)), Idempotent]
SCHEDULED: dict[int | str, dict[str, Any]] = {
    202: {"model": ScheduledRead, "description": "Kept for `effective_at`"}
}
PolicyName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Prefix = Annotated[str, Path(pattern=r"^(\d{2}){1,6}$")]
Hours = Annotated[float, Field(gt=0, le=8760)]


class Limit(Input):
    hours: Hours
    time: Literal["natural", "working"]  # every hour, or working hours of working days


class PolicyUpdate(Input):
    acknowledge: Limit
    contact: Limit
    resolve: Limit
    warn_share: float = Field(gt=0, lt=1)  # the warning (催办) fires at this share of a limit
    max_extension_hours: float = Field(ge=0, le=8760)
    effective_at: AwareDatetime | None = None  # empty: at once


class PolicyRead(BaseModel):
    name: str
    acknowledge: Limit
    contact: Limit
    resolve: Limit
    warn_share: float
    max_extension_hours: float
    updated_by: str
    updated_at: datetime


class CategoryPolicyUpdate(Input):
    policy: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    # The tickets of that urgency only; empty: every urgency but urgent.
    urgency: Urgency | None = None
    effective_at: AwareDatetime | None = None


class CategoryPolicyRead(BaseModel):
    prefix: str
    urgency: Urgency | Literal[""] = Field(description='"" for every urgency but urgent')
    policy: str
    category_name: str | None = None
    updated_by: str
    updated_at: datetime


class SlaPoliciesRead(BaseModel):
    """The policies, and the category prefixes with a policy of their own (the most specific
    prefix wins; urgent tickets always take `urgent`; others fall back to their urgency's
    policy, then `general`)."""

    version: int
    policies: list[PolicyRead]
    categories: list[CategoryPolicyRead]


class SlaChangeRead(BaseModel):
    version: int
    subject: Literal["policy", "category", "book"]
    key: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    by: str
    at: datetime
    effective_at: datetime | None


def router(deps: DispatchContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1/sla-policies", tags=["SLA policies"])

    @api.get("", dependencies=[Readers])
    def policies() -> SlaPoliciesRead:
        return SlaPoliciesRead.model_validate(sla.overview(deps))

    @api.get("/changes", dependencies=[Readers])
    def changes(limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[SlaChangeRead]:
        return [SlaChangeRead.model_validate(c) for c in sla.history(deps, limit)]

    @api.put("/{name}", dependencies=Edits, response_model=PolicyRead, responses=SCHEDULED)
    def put_policy(name: PolicyName, body: PolicyUpdate, user: CurrentUser) -> Any:
        payload = _payload(body) | {"subject": "policy", "action": "change", "name": name}
        return _answer(sla.change(deps, user, payload, body.effective_at))

    @api.put(
        "/categories/{prefix}",
        dependencies=Edits,
        response_model=CategoryPolicyRead,
        responses=SCHEDULED,
    )
    def put_category(prefix: Prefix, body: CategoryPolicyUpdate, user: CurrentUser) -> Any:
        payload = _payload(body) | {"subject": "category", "action": "change", "prefix": prefix}
        return _answer(sla.change(deps, user, payload, body.effective_at))

    @api.delete("/categories/{prefix}", status_code=204, dependencies=Edits, responses=SCHEDULED)
    def delete_category(
        prefix: Prefix,
        user: CurrentUser,
        urgency: Annotated[Urgency | None, Query()] = None,
        effective_at: Annotated[AwareDatetime | None, Query()] = None,
    ) -> Response:
        """Removes the category's own policy (for `urgency`, or for every urgency)."""
        payload = {"subject": "category", "action": "delete", "prefix": prefix, "urgency": urgency}
        return _answer(sla.change(deps, user, payload, effective_at)) or Response(status_code=204)

    return api


def _payload(body: Input) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude={"effective_at"})


def _answer(found: Any) -> Any:
    if isinstance(found, ScheduledRead):
        return JSONResponse(found.model_dump(mode="json"), status_code=202)
    return found

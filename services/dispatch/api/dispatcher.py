"""The dispatcher's desk: review queue, returned tickets, extension requests, supervision."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends

from services.common.auth import CurrentUser, Role, require_roles
from services.common.idempotency import Idempotent
from services.dispatch.adapters import queries, repository
from services.dispatch.api.assignments import scope
from services.dispatch.api.models import (
    AssignmentDetail,
    AssignmentRead,
    DecisionCreate,
    DispatchCreate,
    ExtensionRead,
    NoteCreate,
    OptionalNote,
    SuggestionRead,
    SupervisionRead,
    WaitingTicketRead,
)
from services.dispatch.domain.dispatching import suggested_route
from services.dispatch.domain.routing import Router
from services.dispatch.handlers import dispatcher
from services.dispatch.handlers.context import DispatchContext

Dispatchers = Depends(require_roles(Role.dispatcher))
# A dispatcher's actions: the guard first, then the key (scoped to the user).
Acts = [Dispatchers, Idempotent]
Watchers = Depends(require_roles(Role.dispatcher, Role.leader))
Readers = Depends(require_roles(Role.dispatcher, Role.leader, Role.dept_staff))


def router(deps: DispatchContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["dispatcher"])
    _lists(api, deps)
    _supervision(api, deps)

    @api.post("/tickets/{ticket_id}/dispatch", status_code=201, dependencies=Acts)
    def dispatch_ticket(
        ticket_id: str, body: DispatchCreate, user: CurrentUser
    ) -> list[AssignmentRead]:
        made = dispatcher.dispatch_by_hand(
            deps, user, ticket_id, body.department_code, body.co, body.note
        )
        with deps.uow() as u:
            rows = [queries.one_assignment(u.session, a.id) for a in made]
        return [AssignmentRead.model_validate(r) for r in rows]

    @api.post("/tickets/{ticket_id}/accept-suggestion", status_code=201, dependencies=Acts)
    def accept_suggestion(ticket_id: str, user: CurrentUser) -> list[AssignmentRead]:
        """Sends a ticket on the review queue where its suggestion points, in one click."""
        made = dispatcher.accept_suggestion(deps, user, ticket_id)
        with deps.uow() as u:
            rows = [queries.one_assignment(u.session, a.id) for a in made]
        return [AssignmentRead.model_validate(r) for r in rows]

    @api.post("/extensions/{extension_id}/decision", dependencies=Acts)
    def decide(extension_id: str, body: DecisionCreate, user: CurrentUser) -> ExtensionRead:
        done = dispatcher.decide(deps, user, extension_id, body.granted, body.note)
        return ExtensionRead.model_validate(done, from_attributes=True)

    return api


def _lists(api: APIRouter, deps: DispatchContext) -> None:
    @api.get("/review-queue", dependencies=[Watchers])
    def review_queue() -> list[WaitingTicketRead]:
        with deps.uow() as u:
            rows = queries.waiting_tickets(u.session, "review")
            router = deps.directory.router(u.rules)
        return [
            WaitingTicketRead.model_validate(r | {"suggestion": suggested(r, router)}) for r in rows
        ]

    @api.get("/returned", dependencies=[Watchers])
    def returned() -> list[WaitingTicketRead]:
        with deps.uow() as u:
            rows = queries.waiting_tickets(u.session, "returned")
        return [WaitingTicketRead.model_validate(r) for r in rows]

    @api.get("/extensions", dependencies=[Readers])
    def extensions(
        user: CurrentUser, status: Literal["pending", "granted", "refused"] | None = "pending"
    ) -> list[ExtensionRead]:
        with deps.uow() as u:
            rows = queries.extension_list(u.session, status)
        department = scope(user)
        mine = [r for r in rows if department is None or r["department_code"] == department]
        return [ExtensionRead.model_validate(r) for r in mine]

    @api.get("/supervisions", dependencies=[Readers])
    def supervisions(user: CurrentUser, open: bool = True) -> list[SupervisionRead]:
        with deps.uow() as u:
            rows = queries.supervision_list(u.session, open)
        department = scope(user)
        mine = [r for r in rows if department is None or r["department_code"] == department]
        return [SupervisionRead.model_validate(r) for r in mine]


def suggested(row: dict[str, Any], router: Router) -> SuggestionRead | None:
    """The ticket's suggestion with the department the router sends it to now."""
    suggestion = repository.suggestion_of(row)
    if suggestion is None:
        return None
    route = suggested_route(router, suggestion, row["area_code"])
    return SuggestionRead(
        category_code=suggestion.category_code,
        category_name=row["suggested_category_name"],
        confidence=suggestion.confidence,
        model_version=suggestion.model_version,
        words=list(suggestion.words),
        department_code=route.department.code if route else None,
        department_name=route.department.name if route else None,
    )


def _supervision(api: APIRouter, deps: DispatchContext) -> None:
    def detail(assignment_id: str) -> AssignmentDetail:
        with deps.uow() as u:
            return AssignmentDetail.model_validate(queries.one_assignment(u.session, assignment_id))

    @api.post("/assignments/{assignment_id}/supervise", dependencies=Acts)
    def supervise(assignment_id: str, body: NoteCreate, user: CurrentUser) -> AssignmentDetail:
        dispatcher.supervise(deps, user, assignment_id, body.note)
        return detail(assignment_id)

    @api.post("/assignments/{assignment_id}/urge", dependencies=Acts)
    def urge(assignment_id: str, body: NoteCreate, user: CurrentUser) -> AssignmentDetail:
        dispatcher.urge(deps, user, assignment_id, body.note)
        return detail(assignment_id)

    @api.post("/assignments/{assignment_id}/supervision/close", dependencies=Acts)
    def close(assignment_id: str, body: OptionalNote, user: CurrentUser) -> AssignmentDetail:
        dispatcher.end_supervision(deps, user, assignment_id, body.note)
        return detail(assignment_id)

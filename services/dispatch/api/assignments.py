"""Assignments: the lists and detail, and the department's actions on one of them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.common.auth import CurrentUser, Principal, Role, require_roles
from services.common.errors import NotFound
from services.common.idempotency import Idempotent
from services.dispatch.adapters import queries
from services.dispatch.api.models import (
    AssignmentDetail,
    AssignmentRead,
    ContactCreate,
    ExtensionCreate,
    ExtensionRead,
    NoteCreate,
    OptionalNote,
    ResolutionCreate,
    ReturnCreate,
)
from services.dispatch.handlers import department
from services.dispatch.handlers.context import DispatchContext

Readers = Depends(require_roles(Role.dispatcher, Role.dept_staff, Role.leader))
Staff = Depends(require_roles(Role.dept_staff))
# A department's actions: the guard first, then the key (scoped to the user).
Acts = [Staff, Idempotent]


def scope(user: Principal) -> str | None:
    """The department a user is confined to, or None for those who see all."""
    return user.department if user.role == Role.dept_staff else None


def router(deps: DispatchContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1/assignments", tags=["assignments"], dependencies=[Readers])

    @api.get("")
    def list_assignments(
        user: CurrentUser,
        ticket_id: str | None = None,
        status: queries.StatusFilter = "all",
        sort: Annotated[str, Query(pattern="^(deadline|recent)$")] = "recent",
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[AssignmentRead]:
        with deps.uow() as u:
            rows = queries.list_assignments(
                u.session,
                department=scope(user),
                ticket_id=ticket_id,
                status=status,
                by_deadline=sort == "deadline",
                limit=limit,
            )
        return [AssignmentRead.model_validate(r) for r in rows]

    @api.get("/{assignment_id}")
    def get_assignment(assignment_id: str, user: CurrentUser) -> AssignmentDetail:
        return AssignmentDetail.model_validate(_visible(deps, user, assignment_id))

    _actions(api, deps)
    return api


def _visible(deps: DispatchContext, user: Principal, assignment_id: str) -> dict[str, Any]:
    with deps.uow() as u:
        row = queries.one_assignment(u.session, assignment_id)
    # Another department's assignment is indistinguishable from a missing one.
    department = scope(user)
    if row is None or (department is not None and row["department_code"] != department):
        raise NotFound("dispatch.assignment_not_found", id=assignment_id)
    assert row is not None
    return row


def _actions(api: APIRouter, deps: DispatchContext) -> None:
    def detail(user: Principal, assignment_id: str) -> AssignmentDetail:
        return AssignmentDetail.model_validate(_visible(deps, user, assignment_id))

    @api.post("/{assignment_id}/acknowledge", dependencies=Acts)
    def acknowledge(assignment_id: str, user: CurrentUser) -> AssignmentDetail:
        department.acknowledge(deps, user, assignment_id)
        return detail(user, assignment_id)

    @api.post("/{assignment_id}/contact", dependencies=Acts)
    def contact(assignment_id: str, body: ContactCreate, user: CurrentUser) -> AssignmentDetail:
        department.contact(deps, user, assignment_id, body.note, body.photos)
        return detail(user, assignment_id)

    @api.post("/{assignment_id}/notes", dependencies=Acts)
    def note(assignment_id: str, body: NoteCreate, user: CurrentUser) -> AssignmentDetail:
        department.note_progress(deps, user, assignment_id, body.note)
        return detail(user, assignment_id)

    @api.post("/{assignment_id}/resolve", dependencies=Acts)
    def resolve(assignment_id: str, body: ResolutionCreate, user: CurrentUser) -> AssignmentDetail:
        department.resolve(deps, user, assignment_id, body.outcome, body.photos)
        return detail(user, assignment_id)

    @api.post("/{assignment_id}/return", dependencies=Acts)
    def give_back(assignment_id: str, body: ReturnCreate, user: CurrentUser) -> AssignmentDetail:
        department.give_back(deps, user, assignment_id, body.reason_code, body.reason)
        return detail(user, assignment_id)

    @api.post("/{assignment_id}/pause", dependencies=Acts)
    def pause(assignment_id: str, body: NoteCreate, user: CurrentUser) -> AssignmentDetail:
        department.pause(deps, user, assignment_id, body.note)
        return detail(user, assignment_id)

    @api.post("/{assignment_id}/resume", dependencies=Acts)
    def resume(assignment_id: str, body: OptionalNote, user: CurrentUser) -> AssignmentDetail:
        department.resume(deps, user, assignment_id)
        return detail(user, assignment_id)

    @api.post("/{assignment_id}/extensions", status_code=201, dependencies=Acts)
    def ask_extension(
        assignment_id: str, body: ExtensionCreate, user: CurrentUser
    ) -> ExtensionRead:
        made = department.ask_extension(deps, user, assignment_id, body.new_due, body.reason)
        return ExtensionRead.model_validate(made, from_attributes=True)

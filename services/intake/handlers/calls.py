"""Logging a call: a new ticket, a call attached to an open one, or a consultation
answered at once. Everything is checked before anything is written; the ticket, the call
and their events commit together or not at all."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from proto.envelope import new_id
from proto.tickets import CategorySuggestion
from services.common.auth import Principal
from services.common.errors import Invalid
from services.intake import metrics
from services.intake.domain.addresses import Suggestion
from services.intake.domain.catalogue import Catalogue, CatalogueError
from services.intake.domain.model import (
    SHANGHAI,
    SUPERVISION_AT_CALLS,
    Call,
    Caller,
    InvalidPhone,
    LogCall,
    Ticket,
    day_start,
    is_frequent,
    normalise_phone,
    supervision_due,
    ticket_number,
)
from services.intake.handlers import photos
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.ports import UnitOfWork


@dataclass(frozen=True)
class Logged:
    ticket: Ticket
    call: Call
    outcome: str  # created, attached or answered


@dataclass(frozen=True)
class Place:
    code: str | None
    path: list[str]


def log_call(intake: IntakeContext, cmd: LogCall, agent: Principal) -> Logged:
    """Validates, then stores the call and its events atomically; raises a DomainError
    with nothing stored when any input is wrong."""
    caller = intake.vault.seal(_phone(cmd.caller_phone))
    place = _place(intake, cmd)
    _check_answer(cmd)
    if cmd.photos and cmd.duplicate_of:
        raise Invalid("intake.photos_not_with_duplicate", field="photos")
    # Before the transaction: the model never holds it open.
    suggestion = _suggestion(intake, cmd)
    now = intake.clock()
    with intake.uow() as uow:
        catalogue = _catalogue(intake, uow, cmd)
        if cmd.answer and cmd.answer.entry_id:
            _check_entry(uow, cmd.answer.entry_id)
        photos.check_attachable(uow, cmd.photos)
        caller = replace(caller, ref=uow.callers.ref(caller.key))
        caller = replace(caller, frequent=_frequent(intake, uow, caller, now))
        if cmd.duplicate_of:
            logged = _attach(uow, cmd, caller, agent, now)
        else:
            logged = _create(uow, cmd, caller, place, catalogue, agent, now, suggestion)
        uow.commit()
    _count(cmd, logged)
    return logged


def _suggestion(intake: IntakeContext, cmd: LogCall) -> CategorySuggestion | None:
    """The category suggestion a new ticket carries for its dispatcher; none for a call
    attached to an open ticket or answered at once (nothing to dispatch)."""
    if cmd.duplicate_of or cmd.answer is not None:
        return None
    return intake.suggestion_for(cmd.description)


def _frequent(intake: IntakeContext, uow: UnitOfWork, caller: Caller, now: datetime) -> bool:
    if caller.key is None:
        return False
    before = uow.calls.count_since(caller.key, day_start(now))
    return is_frequent(before + 1, intake.frequent_caller_per_day)


def _phone(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return normalise_phone(raw)
    except InvalidPhone:
        raise Invalid("intake.invalid_phone", field="caller_phone") from None


def _place(intake: IntakeContext, cmd: LogCall) -> Place:
    """The area from its code, else resolved from the free-text address; an address the
    library cannot pin down is refused with ranked suggestions."""
    if cmd.area_code:
        if intake.addresses.get(cmd.area_code) is None:
            raise Invalid("intake.unknown_area", field="area_code", code=cmd.area_code)
        return Place(cmd.area_code, intake.addresses.path(cmd.area_code))
    if not cmd.address:
        return Place(None, [])
    found = intake.addresses.unambiguous(cmd.address)
    if found is None:
        raise _unresolved(intake.addresses.resolve(cmd.address))
    return Place(found.area.code, found.path)


def _unresolved(suggestions: list[Suggestion]) -> Invalid:
    names = "、".join("/".join(s.path) for s in suggestions[:3]) or "-"
    listed = [{"code": s.area.code, "path": s.path} for s in suggestions]
    return Invalid(
        "intake.unresolved_address",
        field="address",
        details={"suggestions": listed},
        names=names,
    )


def _check_answer(cmd: LogCall) -> None:
    if cmd.answer is None:
        return
    if cmd.request_type != "consultation":
        raise Invalid("intake.answer_needs_consultation", field="answer")
    if cmd.duplicate_of:
        raise Invalid("intake.answer_not_with_duplicate", field="answer")


def _catalogue(intake: IntakeContext, uow: UnitOfWork, cmd: LogCall) -> Catalogue:
    """The current catalogue, once the call's category is known to be a usable leaf."""
    catalogue = intake.catalogue.get(uow.catalogue)
    try:
        catalogue.usable_leaf(cmd.category_code)
    except CatalogueError as exc:
        raise Invalid(exc.key, field=exc.field, **exc.params) from None
    return catalogue


def _check_entry(uow: UnitOfWork, entry_id: str) -> None:
    found = uow.knowledge.get(entry_id)
    if found is None or not found[1]:
        raise Invalid("intake.unknown_knowledge_entry", field="answer.entry_id", id=entry_id)


def _new_call(ticket_id: str, cmd: LogCall, caller: Caller, by: str, at: datetime) -> Call:
    return Call(
        id=new_id(),
        ticket_id=ticket_id,
        channel=cmd.channel,
        request_type=cmd.request_type,
        description=cmd.description,
        caller_masked=caller.masked,
        caller_key=caller.key,
        caller_cipher=caller.cipher,
        taken_by=by,
        taken_at=at,
        form_seconds=cmd.form_seconds,
        caller_ref=caller.ref,
    )


def _attach(
    uow: UnitOfWork, cmd: LogCall, caller: Caller, agent: Principal, now: datetime
) -> Logged:
    ticket_id = cmd.duplicate_of or ""
    calls = uow.tickets.count_call(ticket_id)
    if calls is None:
        code = "intake.duplicate_closed" if uow.tickets.get(ticket_id) else None
        raise Invalid(code or "intake.duplicate_missing", field="duplicate_of", id=ticket_id)
    call = _new_call(ticket_id, cmd, caller, agent.username, now)
    uow.calls.add(call)
    uow.publish(call.attached_event(calls), ticket_id=ticket_id, occurred_at=now)
    raised = supervision_due(calls, agent.username, now)
    if raised is not None:
        uow.publish(raised, ticket_id=ticket_id, occurred_at=now)
    ticket = uow.tickets.get(ticket_id)
    assert ticket is not None  # counted above, in this transaction
    return Logged(ticket, call, "attached")


def _create(
    uow: UnitOfWork,
    cmd: LogCall,
    caller: Caller,
    place: Place,
    catalogue: Catalogue,
    agent: Principal,
    now: datetime,
    suggestion: CategorySuggestion | None = None,
) -> Logged:
    ticket = _ticket(uow, cmd, caller, place, catalogue, agent.username, now)
    ticket.suggestion = suggestion
    if cmd.answer is not None:
        ticket.answer_directly(cmd.answer, agent.username, now)
    call = _new_call(ticket.id, cmd, caller, agent.username, now)
    uow.tickets.add(ticket)
    uow.calls.add(call)
    photos.attach(uow, cmd.photos, ticket.id, now)
    for event in [ticket.created_event(), *ticket.events]:
        uow.publish(event, ticket_id=ticket.id, occurred_at=now)
    return Logged(ticket, call, "answered" if cmd.answer else "created")


def _ticket(
    uow: UnitOfWork,
    cmd: LogCall,
    caller: Caller,
    place: Place,
    catalogue: Catalogue,
    by: str,
    now: datetime,
) -> Ticket:
    day = now.astimezone(SHANGHAI).date()
    return Ticket(
        id=new_id(),
        number=ticket_number(now, uow.tickets.next_sequence(day)),
        channel=cmd.channel,
        request_type=cmd.request_type,
        category_code=cmd.category_code,
        category_path=catalogue.path(cmd.category_code),
        area_code=place.code,
        area_path=place.path,
        urgency=cmd.urgency,
        description=cmd.description,
        caller_masked=caller.masked,
        caller_key=caller.key,
        caller_ref=caller.ref,
        created_by=by,
        created_at=now,
        address=cmd.address,
        catalogue_version=catalogue.version,
        status_at=now,
        frequent_caller=caller.frequent,
        photos=list(cmd.photos),
        review=cmd.review,
        number_hidden=cmd.hide_number,
        source=cmd.source,
    )


def _count(cmd: LogCall, logged: Logged) -> None:
    metrics.CALLS.labels(cmd.channel, cmd.request_type, logged.outcome).inc()
    if logged.outcome == "attached":
        metrics.DUPLICATES_ATTACHED.inc()
        if logged.ticket.calls == SUPERVISION_AT_CALLS:
            metrics.SUPERVISION_RAISED.inc()
    if logged.outcome == "answered":
        metrics.DIRECT_ANSWERS.inc()
    if cmd.form_seconds is not None:
        metrics.FORM_SECONDS.observe(cmd.form_seconds)

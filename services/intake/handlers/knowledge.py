"""The knowledge base agents answer consultations from; admins maintain it. Every save is a
new version (who, when, the whole entry) and an audit event in the same transaction; a save
may be kept for a later date and applied then by the same code. Retired and expired
entries stay readable so an answered ticket still names its source."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from proto.envelope import new_id
from services.common import scheduled
from services.common.audit import record_change
from services.common.auth import Principal
from services.common.errors import Conflict, Invalid, NotFound
from services.intake.domain import knowledge
from services.intake.domain.knowledge import Entry, KnowledgeError
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.ports import UnitOfWork

KIND = "knowledge"
# services.common.scheduled.schedule with the service's table: keeps a change for its date.
Keep = Callable[..., scheduled.ScheduledRead]


def search(
    intake: IntakeContext, query: str, limit: int, category_code: str | None = None
) -> list[tuple[Entry, float]]:
    """Entries offered now for the question (and the chosen category); with neither, all
    by title."""
    now = intake.clock()
    with intake.uow() as uow:
        entries = [e for e in uow.knowledge.every() if e.offered_at(now)]
    if not query.strip() and not category_code:
        return [(e, 0.0) for e in sorted(entries, key=lambda e: e.title)[:limit]]
    return knowledge.search(entries, query, limit, category_code)


def browse(
    intake: IntakeContext,
    text: str,
    category_code: str | None,
    valid_now: bool,
    include_retired: bool,
    limit: int,
) -> list[Entry]:
    """The admin's list: by text in the title or answer and by category; expired, not yet
    valid and retired entries too unless filtered out."""
    now = intake.clock()
    with intake.uow() as uow:
        entries = uow.knowledge.every()
    kept = [
        e for e in entries if (include_retired or e.active) and (not valid_now or e.valid_at(now))
    ]
    return knowledge.browse(kept, text, category_code, limit)


def get(intake: IntakeContext, entry_id: str) -> Entry:
    with intake.uow() as uow:
        found = uow.knowledge.entry(entry_id)
    if found is None:
        raise NotFound("intake.knowledge_not_found", id=entry_id)
    return found


def versions(intake: IntakeContext, entry_id: str) -> list[dict[str, Any]]:
    with intake.uow() as uow:
        found = uow.knowledge.versions(entry_id)
    if not found:
        raise NotFound("intake.knowledge_not_found", id=entry_id)
    return found


def compare(intake: IntakeContext, entry_id: str, old: int, new: int) -> dict[str, Any]:
    """Two versions of an entry and the fields that differ between them."""
    kept = {v["version"]: v for v in versions(intake, entry_id)}
    for number, field in ((old, "from"), (new, "to")):
        if number not in kept:
            raise NotFound("intake.knowledge_version_not_found", field=field, version=number)
    before, after = kept[old]["record"], kept[new]["record"]
    return {
        "from": kept[old],
        "to": kept[new],
        "changes": knowledge.diff(before, after),
    }


def save(
    intake: IntakeContext,
    draft: Entry,
    by: Principal,
    *,
    new: bool,
    keep: Keep,
    expected: int | None = None,
    effective_at: datetime | None = None,
) -> Entry | scheduled.ScheduledRead:
    """Creates (`new`) or replaces the entry at once, or keeps the change for
    `effective_at`. `expected` is the version the admin edited: a save over a later one
    is refused rather than silently undoing it."""
    now = intake.clock()
    at = scheduled.when(effective_at, now)
    if new:
        draft = replace(draft, id=new_id())
    with intake.uow() as uow:
        if at is None:
            saved: Entry | scheduled.ScheduledRead = _save(
                uow, draft, by, now, new=new, expected=expected
            )
        else:
            saved = _schedule(uow, keep, draft, by, now, at, new=new, expected=expected)
        uow.commit()
    return saved


def _schedule(
    uow: UnitOfWork,
    keep: Keep,
    draft: Entry,
    by: Principal,
    now: datetime,
    at: datetime,
    *,
    new: bool,
    expected: int | None,
) -> scheduled.ScheduledRead:
    """Checks the save as if it were made now and keeps it for `at`."""
    if not new:
        _current(uow, draft.id, expected)
    _check(uow, draft)
    payload = _payload(draft, "create" if new else "change")
    return keep(
        uow,
        kind=KIND,
        key=draft.id,
        payload=payload,
        effective_at=at,
        by=by,
        now=now,
        summary=draft.title,
    )


def apply_scheduled(
    uow: UnitOfWork, payload: Mapping[str, Any], by: Principal, effective_at: datetime
) -> None:
    """A kept save, applied when due exactly as an immediate one (the worker commits)."""
    draft = _draft(payload)
    new = payload.get("action") == "create"
    _save(uow, draft, by, effective_at, new=new, effective_at=effective_at)


def _save(
    uow: UnitOfWork,
    draft: Entry,
    by: Principal,
    at: datetime,
    *,
    new: bool,
    expected: int | None = None,
    effective_at: datetime | None = None,
) -> Entry:
    before = None if new else _current(uow, draft.id, expected, lock=True)
    _check(uow, draft)
    after = replace(draft, version=before.version + 1 if before else 1)
    action = knowledge.action_of(before, after)
    uow.knowledge.save(after, action, by.username, at, new)
    record_change(
        uow,
        kind=KIND,
        key=after.id,
        action=action,
        by=by.username,
        at=at,
        before=knowledge.record(before) if before else None,
        after=knowledge.record(after),
        version=after.version,
        summary=after.title,
        effective_at=effective_at,
    )
    return after


def _current(uow: UnitOfWork, entry_id: str, expected: int | None, lock: bool = False) -> Entry:
    found = uow.knowledge.entry(entry_id, lock)
    if found is None:
        raise NotFound("intake.knowledge_not_found", id=entry_id)
    if expected is not None and expected != found.version:
        raise Conflict("intake.knowledge_stale", version=expected, current=found.version)
    return found


def _check(uow: UnitOfWork, draft: Entry) -> None:
    catalogue = uow.catalogue.load()
    known = {code for code in draft.categories if catalogue.get(code) is not None}
    try:
        knowledge.check(draft, known)
    except KnowledgeError as exc:
        raise Invalid(exc.key, field=exc.field, **exc.params) from None


def _payload(draft: Entry, action: str) -> dict[str, Any]:
    record = knowledge.record(draft)
    del record["version"]
    return record | {"action": action}


def _draft(payload: Mapping[str, Any]) -> Entry:
    def moment(name: str) -> datetime | None:
        value = payload.get(name)
        return datetime.fromisoformat(value) if value else None

    return Entry(
        id=payload["id"],
        title=payload["title"],
        answer=payload["answer"],
        keywords=tuple(payload.get("keywords", ())),
        categories=tuple(payload.get("categories", ())),
        valid_from=moment("valid_from"),
        valid_until=moment("valid_until"),
        active=bool(payload.get("active", True)),
    )

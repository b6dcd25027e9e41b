"""The knowledge base agents answer consultations from; admins maintain it. Archived
entries stay readable so an answered ticket still names its source."""

from __future__ import annotations

from dataclasses import replace

from proto.envelope import new_id
from services.common.auth import Principal
from services.common.errors import NotFound
from services.intake.domain import knowledge
from services.intake.domain.knowledge import Entry
from services.intake.handlers.context import IntakeContext


def search(
    intake: IntakeContext, query: str, limit: int, category_code: str | None = None
) -> list[tuple[Entry, float]]:
    """Entries for the question (and the chosen category); with neither, all by title."""
    with intake.uow() as uow:
        entries = uow.knowledge.active()
    if not query.strip() and not category_code:
        return [(e, 0.0) for e in sorted(entries, key=lambda e: e.title)[:limit]]
    return knowledge.search(entries, query, limit, category_code)


def create(intake: IntakeContext, draft: Entry, by: Principal) -> Entry:
    entry = replace(draft, id=new_id())
    with intake.uow() as uow:
        uow.knowledge.add(entry, by.username, intake.clock())
        uow.commit()
    return entry


def get(intake: IntakeContext, entry_id: str) -> tuple[Entry, bool]:
    with intake.uow() as uow:
        found = uow.knowledge.get(entry_id)
    if found is None:
        raise NotFound("intake.knowledge_not_found", id=entry_id)
    return found


def update(intake: IntakeContext, entry: Entry, active: bool, by: Principal) -> Entry:
    """Replaces the entry's text; `active=False` archives it (it no longer shows in search)."""
    with intake.uow() as uow:
        if uow.knowledge.get(entry.id) is None:
            raise NotFound("intake.knowledge_not_found", id=entry.id)
        uow.knowledge.replace(entry, active, by.username, intake.clock())
        uow.commit()
    return entry

"""Knowledge-base entries in the database, each save also kept whole as a version; retired
and expired entries stay for answered tickets and for admins. Inside the caller's
transaction; never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from services.intake.adapters.orm import knowledge_entries, knowledge_versions
from services.intake.domain.knowledge import Entry, record

_VERSIONS = select(knowledge_versions).order_by(knowledge_versions.c.version)


def _entry(row: Any) -> Entry:
    return Entry(
        id=row.id,
        title=row.title,
        answer=row.answer,
        keywords=tuple(row.keywords or ()),
        categories=tuple(row.categories or ()),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        active=bool(row.active),
        version=row.version,
    )


def _values(entry: Entry, by: str, at: datetime) -> dict[str, Any]:
    return {
        "title": entry.title,
        "answer": entry.answer,
        "keywords": list(entry.keywords),
        "categories": list(entry.categories),
        "valid_from": entry.valid_from,
        "valid_until": entry.valid_until,
        "active": entry.active,
        "version": entry.version,
        "updated_by": by,
        "updated_at": at,
    }


def seed(session: Session, entries: list[Entry], at: datetime) -> bool:
    """Stores the seed entries if the knowledge base has never had any; True if it did."""
    if session.execute(select(func.count()).select_from(knowledge_entries)).scalar():
        return False
    for entry in entries:
        save(session, entry, "create", "system", at, new=True)
    return True


def save(session: Session, entry: Entry, action: str, by: str, at: datetime, new: bool) -> None:
    """Writes the entry (as its `version`) and that version's record."""
    values = _values(entry, by, at)
    if new:
        session.execute(insert(knowledge_entries).values(id=entry.id, **values))
    else:
        where = knowledge_entries.c.id == entry.id
        session.execute(update(knowledge_entries).where(where).values(values))
    session.execute(
        insert(knowledge_versions).values(
            entry_id=entry.id,
            version=entry.version,
            action=action,
            record=record(entry),
            changed_by=by,
            changed_at=at,
        )
    )


def get(session: Session, entry_id: str, lock: bool = False) -> Entry | None:
    query = select(knowledge_entries).where(knowledge_entries.c.id == entry_id)
    row = session.execute(query.with_for_update() if lock else query).first()
    return _entry(row) if row else None


def every(session: Session) -> list[Entry]:
    return [_entry(r) for r in session.execute(select(knowledge_entries))]


def versions(session: Session, entry_id: str) -> list[dict[str, Any]]:
    """Oldest first: version, action, who, when and the record it saved."""
    rows = session.execute(_VERSIONS.where(knowledge_versions.c.entry_id == entry_id))
    return [
        {
            "version": r.version,
            "action": r.action,
            "by": r.changed_by,
            "at": r.changed_at,
            "record": r.record,
        }
        for r in rows
    ]

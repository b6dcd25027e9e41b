"""Knowledge-base entries in the database; archived entries stay for answered tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from services.intake.adapters.orm import knowledge_entries
from services.intake.domain.knowledge import Entry


def _entry(row: Any) -> Entry:
    return Entry(
        id=row.id,
        title=row.title,
        answer=row.answer,
        keywords=tuple(row.keywords or ()),
        category_code=row.category_code,
    )


def seed(session: Session, entries: list[Entry], at: datetime) -> bool:
    """Stores the seed entries if the knowledge base has never had any; True if it did."""
    if session.execute(select(func.count()).select_from(knowledge_entries)).scalar():
        return False
    for entry in entries:
        add(session, entry, "system", at)
    return True


def add(session: Session, entry: Entry, by: str, at: datetime) -> None:
    session.execute(
        insert(knowledge_entries).values(
            id=entry.id,
            title=entry.title,
            answer=entry.answer,
            keywords=list(entry.keywords),
            category_code=entry.category_code,
            active=True,
            updated_by=by,
            updated_at=at,
        )
    )


def replace(session: Session, entry: Entry, active: bool, by: str, at: datetime) -> None:
    session.execute(
        update(knowledge_entries)
        .where(knowledge_entries.c.id == entry.id)
        .values(
            title=entry.title,
            answer=entry.answer,
            keywords=list(entry.keywords),
            category_code=entry.category_code,
            active=active,
            updated_by=by,
            updated_at=at,
        )
    )


def get(session: Session, entry_id: str) -> tuple[Entry, bool] | None:
    row = session.execute(
        select(knowledge_entries).where(knowledge_entries.c.id == entry_id)
    ).first()
    return (_entry(row), bool(row.active)) if row else None


def active(session: Session) -> list[Entry]:
    rows = session.execute(select(knowledge_entries).where(knowledge_entries.c.active.is_(True)))
    return [_entry(r) for r in rows]

"""The category catalogue in the database: seeded once, then changed by admins, each
change a new version with who and when."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.errors import Conflict
from services.intake.adapters.orm import catalogue_changes, categories, category_revisions
from services.intake.domain.catalogue import Catalogue, Category, Pair, Revision

# Asked on every call (is the cached catalogue current?): built once for the compiled cache.
_VERSION = select(func.max(catalogue_changes.c.version))


def version(session: Session) -> int:
    return int(session.execute(_VERSION).scalar() or 0)


def seed(session: Session, seeded: list[Category], at: datetime) -> bool:
    """Stores the seed catalogue as version 1 if the catalogue is empty; True if it did."""
    if version(session):
        return False
    session.execute(insert(categories), [_row(c) for c in seeded])
    record(session, 1, "seed", None, None, None, "system", at)
    return True


def _row(category: Category) -> dict[str, Any]:
    row = asdict(category)
    row["keywords"] = list(category.keywords)
    return row


def _category(row: Any) -> Category:
    return _from_json(dict(row._mapping))


def _from_json(data: dict[str, Any]) -> Category:
    data["keywords"] = tuple(data.get("keywords") or ())
    return Category(**data)


def load(session: Session) -> Catalogue:
    found = session.execute(select(categories)).all()
    return Catalogue.of(version(session), (_category(r) for r in found))


def record(
    session: Session,
    number: int,
    action: str,
    code: str | None,
    before: Category | None,
    after: Category | None,
    by: str,
    at: datetime,
) -> None:
    """Refuses (409) when another admin's change took this version number first: the
    caller is told to reload and retry instead of overwriting it."""
    values = {
        "version": number,
        "action": action,
        "code": code,
        "before": _row(before) if before else None,
        "after": _row(after) if after else None,
        "changed_by": by,
        "changed_at": at,
    }
    try:
        session.execute(insert(catalogue_changes).values(values))
    except IntegrityError:
        raise Conflict("status.409") from None


def insert_category(session: Session, category: Category) -> None:
    session.execute(insert(categories).values(_row(category)))


def update_category(session: Session, category: Category) -> None:
    values = _row(category)
    session.execute(
        update(categories).where(categories.c.code == values.pop("code")).values(values)
    )


def changes(session: Session, limit: int) -> list[dict[str, Any]]:
    query = select(catalogue_changes).order_by(catalogue_changes.c.version.desc()).limit(limit)
    return [dict(r._mapping) for r in session.execute(query)]


def record_revisions(session: Session, number: int, pairs: tuple[Pair, ...]) -> None:
    rows = [
        {
            "version": number,
            "code": after.code,
            "before": _row(before) if before else None,
            "after": _row(after),
        }
        for before, after in pairs
    ]
    session.execute(insert(category_revisions), rows)


def revisions_after(session: Session, number: int) -> list[Revision]:
    query = select(category_revisions).where(category_revisions.c.version > number)
    return [
        Revision(
            r.version,
            r.code,
            _from_json(dict(r.before)) if r.before else None,
            _from_json(dict(r.after)) if r.after else None,
        )
        for r in session.execute(query)
    ]


def versions(session: Session, limit: int) -> list[dict[str, Any]]:
    """The latest versions, newest first: who changed which category how, and when."""
    c = catalogue_changes.c
    query = select(c.version, c.action, c.code, c.changed_by, c.changed_at)
    query = query.order_by(c.version.desc()).limit(limit)
    return [dict(r._mapping) for r in session.execute(query)]

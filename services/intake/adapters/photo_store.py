"""Photos in intake's database, inside the caller's transaction; never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.intake.adapters.orm import photos
from services.intake.domain.photos import Processed


def add(session: Session, photo_id: str, photo: Processed, at: datetime) -> None:
    session.execute(
        photos.insert().values(
            id=photo_id,
            content_type=photo.content_type,
            bytes=len(photo.data),
            width=photo.width,
            height=photo.height,
            data=photo.data,
            thumbnail=photo.thumbnail,
            created_at=at,
        )
    )


def content(session: Session, photo_id: str, thumbnail: bool) -> tuple[str, bytes] | None:
    """(content type, bytes) of the photo or of its thumbnail (always a JPEG)."""
    column = photos.c.thumbnail if thumbnail else photos.c.data
    row = session.execute(
        select(photos.c.content_type, column).where(photos.c.id == photo_id)
    ).first()
    if row is None:
        return None
    return ("image/jpeg" if thumbnail else row[0]), bytes(row[1])


def holders(session: Session, ids: list[str]) -> dict[str, str | None]:
    """Each known photo's ticket (None while unattached); unknown ids are left out."""
    query = select(photos.c.id, photos.c.ticket_id).where(photos.c.id.in_(ids))
    return {row.id: row.ticket_id for row in session.execute(query)}


def attach(session: Session, ids: list[str], ticket_id: str, at: datetime) -> int:
    """Attaches those still unattached to the ticket; returns how many it attached."""
    if not ids:
        return 0
    result: Any = session.execute(
        update(photos)
        .where(photos.c.id.in_(ids), photos.c.ticket_id.is_(None))
        .values(ticket_id=ticket_id, attached_at=at)
    )
    return int(result.rowcount)


def purge_unattached(session: Session, before: datetime, limit: int) -> int:
    """Deletes up to `limit` photos uploaded before `before` and never attached."""
    old = (
        select(photos.c.id)
        .where(photos.c.ticket_id.is_(None), photos.c.created_at < before)
        .limit(limit)
    )
    ids = list(session.execute(old).scalars())
    if not ids:
        return 0
    # Attached meanwhile by a report in flight? Then it stays.
    result: Any = session.execute(
        delete(photos).where(photos.c.id.in_(ids), photos.c.ticket_id.is_(None))
    )
    return int(result.rowcount)

"""Open311's statements: client applications and their hashed keys, where an app said a
ticket's problem is, and the public list of requests. Inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.orm import Session

from services.intake.adapters.orm import open311_clients, photos, tickets
from services.intake.domain.open311 import ClientApp, RequestQuery, Spot

_CLIENT_FIELDS = [
    "id",
    "name",
    "contact",
    "key_hint",
    "created_by",
    "created_at",
    "revoked_at",
    "revoked_by",
]
_PUBLIC = [
    tickets.c.closed_at.is_not(None).label("closed"),
    *(
        tickets.c[name]
        for name in (
            "id",
            "number",
            "category_code",
            "description",
            "created_at",
            "status_at",
            "department_name",
            "address",
            "area_code",
            "status_notes",
            "expected_at",
            "lat",
            "lon",
            "media_url",
        )
    ),
]


def _client(row: Row[Any]) -> ClientApp:
    return ClientApp(**{f: row._mapping[f] for f in _CLIENT_FIELDS})


def add_client(session: Session, app: ClientApp, key_hash: str) -> None:
    values = {f: getattr(app, f) for f in _CLIENT_FIELDS}
    session.execute(insert(open311_clients).values(**values, key_hash=key_hash))


def client_named(session: Session, name: str) -> ClientApp | None:
    row = session.execute(select(open311_clients).where(open311_clients.c.name == name)).first()
    return _client(row) if row else None


def client_by_key(session: Session, key_hash: str) -> ClientApp | None:
    """The active app holding this key; None for an unknown or revoked key."""
    query = select(open311_clients).where(
        open311_clients.c.key_hash == key_hash, open311_clients.c.revoked_at.is_(None)
    )
    row = session.execute(query).first()
    return _client(row) if row else None


def clients(session: Session) -> list[ClientApp]:
    rows = session.execute(select(open311_clients).order_by(open311_clients.c.created_at))
    return [_client(r) for r in rows]


def revoke(session: Session, client_id: str, by: str, at: datetime) -> bool:
    """True if the app was active and is now revoked."""
    query = (
        update(open311_clients)
        .where(open311_clients.c.id == client_id, open311_clients.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_by=by)
    )
    return bool(session.execute(query).rowcount)  # type: ignore[attr-defined]


def locate(session: Session, ticket_id: str, spot: Spot) -> None:
    values = {"lat": spot.lat, "lon": spot.lon, "media_url": spot.media_url}
    session.execute(update(tickets).where(tickets.c.id == ticket_id).values(**values))


def note(session: Session, ticket_id: str, status_notes: str) -> None:
    session.execute(
        update(tickets).where(tickets.c.id == ticket_id).values(status_notes=status_notes)
    )


def find(session: Session, query: RequestQuery) -> list[dict[str, Any]]:
    """Newest first. Every filter is on an indexed column (number; created_at, alone or
    after category_code), so the window is an index range scan cut at the limit."""
    stmt = select(*_PUBLIC).order_by(tickets.c.created_at.desc()).limit(query.limit)
    if query.numbers:
        stmt = stmt.where(tickets.c.number.in_(query.numbers))
    else:
        stmt = stmt.where(tickets.c.created_at >= query.start, tickets.c.created_at <= query.end)
        if query.codes:
            stmt = stmt.where(tickets.c.category_code.in_(query.codes))
        if query.statuses == {"open"}:
            # Wrapped so that it filters the created_at range scan: on its own, SQLite's
            # statistics count NULL as one closing time among many distinct ones, choose
            # the closed_at index and then sort every open ticket.
            stmt = stmt.where(func.coalesce(tickets.c.closed_at, None).is_(None))
        elif query.statuses == {"closed"}:
            stmt = stmt.where(tickets.c.closed_at.is_not(None))
    rows = session.execute(stmt).all()
    first = _first_photos(session, [r.id for r in rows])
    return [{**r._mapping, "photo_id": first.get(r.id)} for r in rows]


def _first_photos(session: Session, ticket_ids: list[str]) -> dict[str, str]:
    """Each ticket's first photo, if it has any (the photos' index on ticket_id)."""
    if not ticket_ids:
        return {}
    query = (
        select(photos.c.ticket_id, photos.c.id)
        .where(photos.c.ticket_id.in_(ticket_ids))
        .order_by(photos.c.created_at.desc())
    )
    return {ticket_id: photo_id for ticket_id, photo_id in session.execute(query)}

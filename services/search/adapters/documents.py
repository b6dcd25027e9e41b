"""The search documents table behind the unit of work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from services.common.db import UnitOfWork
from services.search.adapters import labels as label_names
from services.search.adapters.alarms import SqlSpots
from services.search.adapters.orm import documents
from services.search.handlers.ports import Doc

# Built once, so SQLAlchemy's compiled cache is hit for every event.
_READ = (
    select(documents.c.doc)
    .where(documents.c.ticket_id == bindparam("b_ticket_id"))
    .with_for_update()  # two instances folding one ticket's events must not interleave
)
_INSERT = insert(documents)
_UPDATE = update(documents).where(documents.c.ticket_id == bindparam("b_ticket_id"))


class SqlDocuments:
    def __init__(self, session: Session, names: label_names.LabelStore):
        self._session = session
        self._names = names
        self._staged: dict[str, Doc] = {}
        self._stored: set[str] = set()  # tickets the table has a row for (UPDATE, not INSERT)

    def load(self, ticket_id: str) -> Doc | None:
        if ticket_id in self._staged:
            return self._staged[ticket_id]
        row = self._session.execute(_READ, {"b_ticket_id": ticket_id}).first()
        if row is None:
            return None
        self._stored.add(ticket_id)
        doc: Doc = row.doc
        return doc

    def stage(self, ticket_id: str, doc: Doc) -> None:
        self._staged[ticket_id] = doc

    def staged(self) -> bool:
        return bool(self._staged)

    def write(self, now: datetime) -> list[Doc]:
        items, stored = self._staged.items(), self._stored
        new = [{"ticket_id": t, "doc": d, "updated_at": now} for t, d in items if t not in stored]
        old = [{"b_ticket_id": t, "doc": d, "updated_at": now} for t, d in items if t in stored]
        if new:
            self._session.execute(_INSERT, new)
        if old:
            self._session.execute(_UPDATE, old)
        docs = list(self._staged.values())
        found = [x for doc in docs for x in label_names.of_document(doc)]
        self._names.remember(self._session, found)
        self._staged, self._stored = {}, self._stored | set(self._staged)
        return docs


class SearchUnitOfWork(UnitOfWork):
    documents: SqlDocuments
    spots: SqlSpots

    def attach(self, session: Session) -> None:
        self.documents = SqlDocuments(session, label_names.LabelStore())
        self.spots = SqlSpots(session)

"""Names for the codes that facets and the dashboard show, learnt from the documents.

Every document names its category and area at each level and its departments; the
pairs are kept in the `labels` table (upserted, last name wins) so a facet of codes can be
shown with names without asking another service. No per-process memory: a batch
of events folds in one transaction, and a memory of what it read could outlive a rollback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from sqlalchemy import Executable, bindparam, select, tuple_
from sqlalchemy.orm import Session

from services.common.db import upsert
from services.search.adapters.orm import labels

Label = tuple[str, str, str]  # (kind, code, name)
KIND_OF_FIELD = {
    "category_code": "category",
    "district_code": "area",
    "street_code": "area",
    "area_code": "area",
    "department_code": "department",
    "resolved_department_code": "department",
    "rating_department_code": "department",
}


def of_document(doc: Mapping[str, Any]) -> list[Label]:
    """The (kind, code, name) pairs a document tells: levels align from the deepest."""
    found: list[Label] = []
    for kind, codes, names in (
        ("category", doc.get("category_codes"), doc.get("category_path")),
        ("area", doc.get("area_codes"), doc.get("area_path")),
    ):
        if isinstance(codes, list) and isinstance(names, list) and len(names) >= len(codes):
            found += [(kind, c, str(n)) for c, n in zip(codes, names[-len(codes) :], strict=True)]
    for assignment in (doc.get("assignments") or {}).values():
        part = assignment.get("dispatched") or assignment.get("resolved") or {}
        if part.get("department_code") and part.get("department_name"):
            found.append(("department", part["department_code"], part["department_name"]))
    return found


# Built once, so SQLAlchemy's compiled cache serves every call.
_STORED = select(labels.c.kind, labels.c.code, labels.c.name).where(
    tuple_(labels.c.kind, labels.c.code).in_(bindparam("b_keys", expanding=True))
)
_NAMES = select(labels.c.code, labels.c.name).where(
    labels.c.kind == bindparam("b_kind"), labels.c.code.in_(bindparam("b_codes", expanding=True))
)


@cache
def _upsert(dialect: str) -> Executable:
    """INSERT of a pair that replaces the name of a stored one (SQLite or PostgreSQL)."""
    statement = upsert(dialect, labels)
    return statement.on_conflict_do_update(
        index_elements=[labels.c.kind, labels.c.code], set_={"name": statement.excluded.name}
    )


class LabelStore:
    """Reads and writes `labels`; the caller's session decides the transaction."""

    def remember(self, session: Session, found: Iterable[Label]) -> None:
        """Writes the pairs the table lacks or names differently, in the caller's session;
        when `found` names a code more than once, the last name wins."""
        wanted = {(kind, code): name for kind, code, name in found}
        if not wanted:
            return
        keys = sorted(wanted)  # one order for every writer: no deadlock between two batches
        stored = {
            (kind, code): name for kind, code, name in session.execute(_STORED, {"b_keys": keys})
        }
        changed = [
            {"kind": kind, "code": code, "name": wanted[kind, code]}
            for kind, code in keys
            if stored.get((kind, code)) != wanted[kind, code]
        ]
        if not changed:
            return
        session.execute(_upsert(session.get_bind().dialect.name), changed)

    def names(self, session: Session, kind: str, codes: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = session.execute(_NAMES, {"b_kind": kind, "b_codes": wanted})
        return {code: name for code, name in rows}

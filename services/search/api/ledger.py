"""The ledger for leaders and admins: the sealed days, and one ticket's chain with its
corrections and whether it verifies. Thin routes over `handlers.ledger`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from services.common.auth import Role, require_roles
from services.search.handlers.ledger import LedgerBook

Auditors = Depends(require_roles(Role.leader))  # and admins, who always pass
MAX_SEALS = 366


def router(book: LedgerBook) -> APIRouter:
    api = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])

    @api.get("/seals", dependencies=[Auditors])
    def seals(
        limit: Annotated[int, Query(ge=1, le=MAX_SEALS, description="Seals, newest first")] = 31,
    ) -> dict[str, Any]:
        """Each sealed day (Asia/Shanghai): the Merkle root over its entries, how many, their
        first and last sequence, and when it was sealed (docs/ledger.md)."""
        return {"seals": book.seals(limit)}

    @api.get("/tickets/{ticket_id}", dependencies=[Auditors])
    def ticket(ticket_id: Annotated[str, Path(min_length=1, max_length=64)]) -> dict[str, Any]:
        """The ticket's chain, oldest first; `corrects` names the hash of the entry an entry
        corrects. `verified` is false, with `problem` naming the entry, when a stored entry
        no longer matches its hash, its chain or its day's seal."""
        return book.ticket(ticket_id)

    return api

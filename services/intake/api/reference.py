"""Reference data: the address library, the knowledge base (the category catalogue has
its own routes in api/catalogue.py). Everyone signed in may read; only admins change the
knowledge base."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.common.auth import CurrentUser, Role, require_roles
from services.common.errors import NotFound
from services.common.idempotency import Idempotent
from services.intake.api.models import (
    AreaRead,
    KnowledgeCreate,
    KnowledgeRead,
    KnowledgeUpdate,
)
from services.intake.domain.addresses import Suggestion
from services.intake.domain.knowledge import Entry
from services.intake.handlers import knowledge
from services.intake.handlers.context import IntakeContext

Admins = Depends(require_roles(Role.admin))
# Edits by admins: the guard first, then the key (scoped to the admin).
Edits = [Admins, Idempotent]
Query100 = Annotated[str, Query(max_length=100)]
Limit = Annotated[int, Query(ge=1, le=50)]


def _area(s: Suggestion) -> AreaRead:
    a = s.area
    return AreaRead(
        code=a.code, name=a.name, path=s.path, level=a.level, lat=a.lat, lon=a.lon, score=s.score
    )


def _entry(e: Entry, active: bool = True, score: float | None = None) -> KnowledgeRead:
    return KnowledgeRead(
        id=e.id,
        title=e.title,
        answer=e.answer,
        keywords=list(e.keywords),
        category_code=e.category_code,
        active=active,
        score=score,
    )


def router(intake: IntakeContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(require_roles(*Role))])
    _addresses(api, intake)
    _knowledge(api, intake)
    return api


def _addresses(api: APIRouter, intake: IntakeContext) -> None:
    @api.get("/addresses", tags=["addresses"])
    def suggest_addresses(q: Query100 = "", limit: Limit = 10) -> list[AreaRead]:
        """Autocompletion: names, pinyin initials or code prefixes, blank-separated parts
        matching any level (朝阳 永安里)."""
        return [_area(s) for s in intake.addresses.suggest(q, limit)]

    @api.get("/addresses/resolve", tags=["addresses"])
    def resolve_address(
        text: Annotated[str, Query(min_length=1, max_length=200)], limit: Limit = 5
    ) -> list[AreaRead]:
        """Ranked places a free-text address may mean."""
        return [_area(s) for s in intake.addresses.resolve(text, limit)]

    @api.get("/addresses/{code}", tags=["addresses"])
    def get_address(code: str) -> AreaRead:
        area = intake.addresses.get(code)
        if area is None:
            raise NotFound("intake.area_not_found", code=code)
        return _area(Suggestion(area, intake.addresses.path(code), 0.0))


def _knowledge(api: APIRouter, intake: IntakeContext) -> None:
    @api.get("/knowledge", tags=["knowledge"])
    def search_knowledge(
        q: Query100 = "",
        category_code: Annotated[str | None, Query(max_length=12)] = None,
        limit: Limit = 10,
    ) -> list[KnowledgeRead]:
        """Entries answering the question; those of `category_code` rank first."""
        found = knowledge.search(intake, q, limit, category_code)
        return [_entry(e, score=round(s, 3)) for e, s in found]

    @api.get("/knowledge/{entry_id}", tags=["knowledge"])
    def get_knowledge(entry_id: str) -> KnowledgeRead:
        entry, active = knowledge.get(intake, entry_id)
        return _entry(entry, active)

    @api.post(
        "/knowledge", tags=["knowledge"], status_code=status.HTTP_201_CREATED, dependencies=Edits
    )
    def create_knowledge(body: KnowledgeCreate, user: CurrentUser) -> KnowledgeRead:
        draft = Entry("", body.title, body.answer, tuple(body.keywords), body.category_code)
        return _entry(knowledge.create(intake, draft, user))

    @api.put("/knowledge/{entry_id}", tags=["knowledge"], dependencies=Edits)
    def update_knowledge(entry_id: str, body: KnowledgeUpdate, user: CurrentUser) -> KnowledgeRead:
        entry = Entry(entry_id, body.title, body.answer, tuple(body.keywords), body.category_code)
        return _entry(knowledge.update(intake, entry, body.active, user), body.active)

"""Reference data: the category catalogue, the address library, the knowledge base.
Everyone signed in may read; only admins change the catalogue and the knowledge base."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from services.common.auth import CurrentUser, Role, require_roles
from services.common.errors import NotFound
from services.common.idempotency import Idempotent
from services.intake.api.models import (
    AreaRead,
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    KnowledgeCreate,
    KnowledgeRead,
    KnowledgeUpdate,
)
from services.intake.domain.addresses import Suggestion
from services.intake.domain.catalogue import Catalogue, Category
from services.intake.domain.knowledge import Entry
from services.intake.handlers import catalogue, knowledge
from services.intake.handlers.context import IntakeContext

Admins = Depends(require_roles(Role.admin))
# Edits by admins: the guard first, then the key (scoped to the admin).
Edits = [Admins, Idempotent]
Query100 = Annotated[str, Query(max_length=100)]
Limit = Annotated[int, Query(ge=1, le=50)]


def _category(c: Category, tree: Catalogue) -> CategoryRead:
    return CategoryRead(
        code=c.code,
        name=c.name,
        parent=c.parent,
        path=tree.path(c.code),
        level=c.level,
        keywords=list(c.keywords),
        initials=c.initials,
        introduced_in=c.introduced_in,
        retired_in=c.retired_in,
    )


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
    _categories(api, intake)
    _addresses(api, intake)
    _knowledge(api, intake)
    return api


def _categories(api: APIRouter, intake: IntakeContext) -> None:
    @api.get("/categories", tags=["categories"])
    def search_categories(
        q: Query100 = "", limit: Limit = 10, include_retired: bool = False
    ) -> list[CategoryRead]:
        """Leaves matching a name, pinyin initials (zyrm), keyword or code prefix."""
        tree = catalogue.current(intake)
        hits = tree.search(q, limit, include_retired)
        return [_category(h.category, tree) for h in hits]

    @api.get("/categories/changes", tags=["categories"], dependencies=[Admins])
    def catalogue_changes(limit: Limit = 20) -> list[dict[str, object]]:
        return catalogue.history(intake, limit)

    @api.get("/categories/{code}", tags=["categories"])
    def get_category(code: str) -> CategoryRead:
        """Any category, retired ones included (old tickets carry them)."""
        tree = catalogue.current(intake)
        found = tree.get(code)
        if found is None:
            raise NotFound("intake.category_not_found", code=code)
        return _category(found, tree)

    @api.post("/categories", tags=["categories"], status_code=201, dependencies=Edits)
    def create_category(body: CategoryCreate, user: CurrentUser) -> CategoryRead:
        made = catalogue.create(intake, body.code, body.name, body.parent, body.keywords, user)
        return _category(made, catalogue.current(intake))

    @api.patch("/categories/{code}", tags=["categories"], dependencies=Edits)
    def change_category(code: str, body: CategoryUpdate, user: CurrentUser) -> CategoryRead:
        changed = catalogue.change(intake, code, body.name, body.keywords, user)
        return _category(changed, catalogue.current(intake))

    @api.post("/categories/{code}/retire", tags=["categories"], dependencies=Edits)
    def retire_category(code: str, user: CurrentUser) -> list[CategoryRead]:
        done = catalogue.retire(intake, code, user)
        tree = catalogue.current(intake)
        return [_category(c, tree) for c in done]

    @api.post("/categories/{code}/restore", tags=["categories"], dependencies=Edits)
    def restore_category(code: str, user: CurrentUser) -> list[CategoryRead]:
        done = catalogue.restore(intake, code, user)
        tree = catalogue.current(intake)
        return [_category(c, tree) for c in done]


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

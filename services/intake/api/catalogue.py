"""The category catalogue: everyone signed in reads it (any version of it); admins add,
rename, re-keyword, move, retire and restore categories, at once or from `effective_at`
(202 with the kept change)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from services.common.auth import CurrentUser, Principal, Role, require_roles
from services.common.errors import NotFound
from services.common.idempotency import Idempotent
from services.common.scheduled import ScheduledRead
from services.intake.api.models import CategoryName, Keyword, Strict
from services.intake.domain.catalogue import Catalogue, Category, Edit
from services.intake.handlers import catalogue
from services.intake.handlers.context import IntakeContext

Admins = Depends(require_roles(Role.admin))
Desk = Depends(require_roles(Role.dispatcher, Role.admin))
# Edits by admins: the guard first, then the key (scoped to the admin).
Edits = [Admins, Idempotent]
SCHEDULED: dict[int | str, dict[str, Any]] = {
    202: {"model": ScheduledRead, "description": "Kept for `effective_at`"}
}
Query100 = Annotated[str, Query(max_length=100)]
Limit = Annotated[int, Query(ge=1, le=50)]
Code = Annotated[str, Path(max_length=12)]
Version = Annotated[int, Path(ge=1)]


class CategoryRead(BaseModel):
    code: str
    name: str
    parent: str | None
    path: list[str]
    level: int
    keywords: list[str]
    initials: str
    introduced_in: int
    retired_in: int | None
    moved_to: str | None = Field(
        default=None, description="Where a moved category lives now (this code is retired)"
    )


class Scheduling(Strict):
    effective_at: AwareDatetime | None = None  # empty: at once


class CategoryCreate(Scheduling):
    code: str = Field(pattern=r"^(\d{2}){1,3}$", description="2, 4 or 6 digits, nested")
    name: CategoryName
    parent: str | None = Field(None, max_length=12)
    keywords: list[Keyword] = Field(default_factory=list, max_length=20)


class CategoryUpdate(Scheduling):
    name: CategoryName | None = None
    keywords: list[Keyword] | None = Field(None, max_length=20)


class CategoryMove(Scheduling):
    parent: str = Field(
        pattern=r"^(\d{2}){1,2}$", description="The new parent, one level above the category"
    )


class TreeRead(BaseModel):
    version: int
    latest: int
    categories: list[CategoryRead]


class ChangeRead(BaseModel):
    before: CategoryRead
    after: CategoryRead


class DiffRead(BaseModel):
    """From version `a` to version `b`; a move is listed once, old code to new."""

    a: int
    b: int
    added: list[CategoryRead]
    renamed: list[ChangeRead]
    rekeyworded: list[ChangeRead]
    moved: list[ChangeRead]
    retired: list[CategoryRead]
    restored: list[CategoryRead]


class VersionRead(BaseModel):
    version: int
    action: str
    code: str | None
    changed_by: str
    changed_at: AwareDatetime


def shown(c: Category, tree: Catalogue) -> CategoryRead:
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
        moved_to=c.moved_to,
    )


def router(intake: IntakeContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(require_roles(*Role))])
    _reads(api, intake)
    _versions(api, intake)
    _edits(api, intake)
    return api


def _reads(api: APIRouter, intake: IntakeContext) -> None:
    @api.get("/categories", tags=["categories"])
    def search_categories(
        q: Query100 = "", limit: Limit = 10, include_retired: bool = False
    ) -> list[CategoryRead]:
        """Leaves matching a name, pinyin initials (zyrm), keyword or code prefix."""
        tree = catalogue.current(intake)
        hits = tree.search(q, limit, include_retired)
        return [shown(h.category, tree) for h in hits]

    @api.get("/categories/tree", tags=["categories"])
    def category_tree(version: Annotated[int | None, Query(ge=1)] = None) -> TreeRead:
        """Every category (retired and moved ones too) as of `version` (default: now)."""
        tree, latest = catalogue.tree(intake, version)
        listed = [shown(c, tree) for _, c in sorted(tree.categories.items())]
        return TreeRead(version=tree.version, latest=latest, categories=listed)

    @api.get("/categories/changes", tags=["categories"], dependencies=[Admins])
    def catalogue_changes(limit: Limit = 20) -> list[dict[str, object]]:
        return catalogue.history(intake, limit)


def _versions(api: APIRouter, intake: IntakeContext) -> None:
    @api.get("/categories/versions", tags=["categories"], dependencies=[Desk])
    def catalogue_versions(
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[VersionRead]:
        """The latest versions, newest first: what each changed, who and when."""
        return [VersionRead.model_validate(v) for v in catalogue.versions(intake, limit)]

    @api.get("/categories/versions/{a}/diff/{b}", tags=["categories"])
    def catalogue_diff(a: Version, b: Version) -> DiffRead:
        """Categories added, renamed, re-keyworded, moved, retired and restored from
        version `a` to version `b` (a ≤ b)."""
        found = catalogue.versions_diff(intake, a, b)
        old, new = found.older, found.newer

        def pair(before: Category, after: Category) -> ChangeRead:
            return ChangeRead(before=shown(before, old), after=shown(after, new))

        return DiffRead(
            a=a,
            b=b,
            added=[shown(c, new) for c in found.added],
            renamed=[pair(*p) for p in found.renamed],
            rekeyworded=[pair(*p) for p in found.rekeyworded],
            moved=[pair(*p) for p in found.moved],
            retired=[shown(c, new) for c in found.retired],
            restored=[shown(c, new) for c in found.restored],
        )

    @api.get("/categories/{code}", tags=["categories"])
    def get_category(code: str) -> CategoryRead:
        """Any category, retired and moved ones included (old tickets carry them)."""
        tree = catalogue.current(intake)
        found = tree.get(code)
        if found is None:
            raise NotFound("intake.category_not_found", code=code)
        return shown(found, tree)


def _edits(api: APIRouter, intake: IntakeContext) -> None:
    def submit(payload: dict[str, Any], user: Principal, body: Scheduling | None) -> Any:
        at = body.effective_at if body else None
        done = catalogue.submit(intake, payload, user, at)
        if isinstance(done, ScheduledRead):
            return JSONResponse(done.model_dump(mode="json"), status_code=202)
        return done

    def one(done: Edit | JSONResponse) -> Any:
        if isinstance(done, JSONResponse):
            return done
        return shown(done.after, catalogue.current(intake))

    def touched(done: Edit | JSONResponse) -> Any:
        if isinstance(done, JSONResponse):
            return done
        tree = catalogue.current(intake)
        return [shown(after, tree) for _, after in done.pairs]

    common: dict[str, Any] = {"tags": ["categories"], "dependencies": Edits}
    common["responses"] = SCHEDULED

    @api.post("/categories", status_code=201, response_model=CategoryRead, **common)
    def create_category(body: CategoryCreate, user: CurrentUser) -> Any:
        payload = body.model_dump(mode="json", exclude={"effective_at"})
        return one(submit(payload | {"action": "create"}, user, body))

    @api.patch("/categories/{code}", response_model=CategoryRead, **common)
    def change_category(code: Code, body: CategoryUpdate, user: CurrentUser) -> Any:
        payload = body.model_dump(mode="json", exclude={"effective_at"})
        return one(submit(payload | {"action": "change", "code": code}, user, body))

    @api.post("/categories/{code}/move", response_model=CategoryRead, **common)
    def move_category(code: Code, body: CategoryMove, user: CurrentUser) -> Any:
        """Under another parent one level above: the category and its active descendants
        get new codes there; the old codes retire pointing at them (`moved_to`)."""
        payload = {"action": "move", "code": code, "parent": body.parent}
        return one(submit(payload, user, body))

    @api.post("/categories/{code}/retire", response_model=list[CategoryRead], **common)
    def retire_category(code: Code, user: CurrentUser, body: Scheduling | None = None) -> Any:
        """The category and everything below it that is still active."""
        return touched(submit({"action": "retire", "code": code}, user, body))

    @api.post("/categories/{code}/restore", response_model=list[CategoryRead], **common)
    def restore_category(code: Code, user: CurrentUser, body: Scheduling | None = None) -> Any:
        """The category and its retired parents; a moved one is refused (409)."""
        return touched(submit({"action": "restore", "code": code}, user, body))

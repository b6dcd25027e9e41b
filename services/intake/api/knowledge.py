"""The knowledge base: everyone signed in reads it (agents are offered only the entries valid
now); admins create, change and retire entries, at once or from a date, each save a
version."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field, StrictBool, StringConstraints

from services.common.auth import CurrentUser, Principal, Role, require_roles
from services.common.i18n import register
from services.common.idempotency import Idempotent
from services.common.scheduled import ScheduledRead, schedule
from services.common.text import CleanText
from services.intake.api.models import Keyword, Strict
from services.intake.domain.knowledge import Entry
from services.intake.handlers import knowledge
from services.intake.handlers.context import IntakeContext

MESSAGES = {
    "intake.knowledge_version_not_found": {
        "zh": "该知识库条目没有第 {version} 版",
        "en": "The knowledge entry has no version {version}",
    },
    "intake.knowledge_stale": {
        "zh": "条目已被他人改为第 {current} 版（您编辑的是第 {version} 版），请刷新后再改",
        "en": "The entry is at version {current} now (you edited version {version}); "
        "reload it and change it again",
    },
    "intake.knowledge_validity_order": {
        "zh": "失效时间必须晚于生效时间",
        "en": "The end of validity must come after its start",
    },
    "intake.knowledge_unknown_category": {
        "zh": "分类目录中没有编码为 {code} 的分类",
        "en": "The catalogue has no category {code}",
    },
}

Admins = Depends(require_roles(Role.admin))
# Edits by admins: the guard first, then the key (scoped to the admin).
Edits = [Admins, Idempotent]
CategoryCode = Annotated[str, StringConstraints(pattern=r"^\d{2}(\d{2}){0,2}$")]
# A moment people mean: far-off years would overflow on the way to UTC.
Moment = Annotated[
    AwareDatetime,
    Field(ge=datetime(2000, 1, 1, tzinfo=UTC), lt=datetime(2200, 1, 1, tzinfo=UTC)),
]
# The console asks with the description so far (its first 400 characters: a caller says
# what it is about early), which still fits a URL through the proxy.
Question = Annotated[str, Query(max_length=400)]


class KnowledgeRead(BaseModel):
    id: str
    title: str
    answer: str
    keywords: list[str]
    categories: list[str]
    valid_from: AwareDatetime | None
    valid_until: AwareDatetime | None
    active: bool
    offered: bool = Field(description="Whether agents are offered it now: active and valid")
    version: int
    score: float | None = None


class KnowledgeCreate(Strict):
    title: CleanText = Field(min_length=1, max_length=200)
    answer: CleanText = Field(min_length=1, max_length=4000)
    keywords: list[Keyword] = Field(default_factory=list, max_length=20)
    categories: list[CategoryCode] = Field(
        default_factory=list, max_length=20, description="Leaf or branch category codes"
    )
    valid_from: Moment | None = Field(None, description="Offered to agents from then")
    valid_until: Moment | None = Field(None, description="No longer offered from then")
    effective_at: Moment | None = Field(None, description="Saved then; empty: at once")


class KnowledgeUpdate(KnowledgeCreate):
    active: StrictBool = Field(True, description="False retires the entry, true restores it")
    version: int | None = Field(
        None, ge=1, description="The version edited: a save over a later one is refused (409)"
    )


class VersionRead(BaseModel):
    version: int
    action: str
    by: str
    at: AwareDatetime
    record: dict[str, Any]


class FieldChange(BaseModel):
    field: str
    before: Any
    after: Any


class VersionDiff(BaseModel):
    from_: VersionRead = Field(alias="from")
    to: VersionRead
    changes: list[FieldChange]


def _read(e: Entry, now: datetime, score: float | None = None) -> KnowledgeRead:
    return KnowledgeRead(
        id=e.id,
        title=e.title,
        answer=e.answer,
        keywords=list(e.keywords),
        categories=list(e.categories),
        valid_from=e.valid_from,
        valid_until=e.valid_until,
        active=e.active,
        offered=e.offered_at(now),
        version=e.version,
        score=score,
    )


def _draft(entry_id: str, body: KnowledgeCreate, active: bool = True) -> Entry:
    return Entry(
        id=entry_id,
        title=body.title,
        answer=body.answer,
        keywords=tuple(body.keywords),
        categories=tuple(dict.fromkeys(body.categories)),
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        active=active,
    )


def _answer(intake: IntakeContext, saved: Entry | ScheduledRead, code: int) -> Any:
    if isinstance(saved, ScheduledRead):
        return JSONResponse(saved.model_dump(mode="json"), status_code=202)
    return JSONResponse(_read(saved, intake.clock()).model_dump(mode="json"), status_code=code)


def router(intake: IntakeContext) -> APIRouter:
    register(MESSAGES)
    api = APIRouter(
        prefix="/api/v1/knowledge",
        tags=["knowledge"],
        dependencies=[Depends(require_roles(*Role))],
    )
    _reading(api, intake)
    _writing(api, intake)
    return api


def _reading(api: APIRouter, intake: IntakeContext) -> None:
    @api.get("")
    def search_knowledge(
        user: CurrentUser,
        q: Question = "",
        category_code: Annotated[str | None, Query(max_length=12)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 10,
        mode: Literal["answer", "browse"] = "answer",
        valid_now: bool = False,
        include_retired: bool = True,
    ) -> list[KnowledgeRead]:
        """`answer` (the console): entries offered now that answer the question, those of
        `category_code` first. `browse` (the knowledge page): entries whose title or answer
        holds `q`, of the category or its branch, by title; admins also see expired and
        retired ones unless `valid_now` / `include_retired=false` say otherwise."""
        now = intake.clock()
        if mode == "answer":
            found = knowledge.search(intake, q, limit, category_code)
            return [_read(e, now, round(s, 3)) for e, s in found]
        everything = _edits(user)
        listed = knowledge.browse(
            intake,
            q,
            category_code,
            valid_now or not everything,
            include_retired and everything,
            limit,
        )
        return [_read(e, now) for e in listed]

    @api.get("/{entry_id}")
    def get_knowledge(entry_id: str) -> KnowledgeRead:
        """Any entry, retired or expired ones included (answered tickets name them)."""
        return _read(knowledge.get(intake, entry_id), intake.clock())

    @api.get("/{entry_id}/versions")
    def knowledge_versions(entry_id: str) -> list[VersionRead]:
        """Every save of the entry, oldest first: who, when, what it said."""
        return [VersionRead(**v) for v in knowledge.versions(intake, entry_id)]

    @api.get("/{entry_id}/diff", response_model_by_alias=True)
    def knowledge_diff(
        entry_id: str,
        from_: Annotated[int, Query(alias="from", ge=1)],
        to: Annotated[int, Query(ge=1)],
    ) -> VersionDiff:
        """Two versions and the fields that changed from one to the other."""
        return VersionDiff.model_validate(knowledge.compare(intake, entry_id, from_, to))


def _writing(api: APIRouter, intake: IntakeContext) -> None:
    @api.post(
        "",
        status_code=status.HTTP_201_CREATED,
        dependencies=Edits,
        responses={202: {"model": ScheduledRead, "description": "Kept for effective_at"}},
    )
    def create_knowledge(body: KnowledgeCreate, user: CurrentUser) -> KnowledgeRead:
        saved = knowledge.save(
            intake,
            _draft("", body),
            user,
            new=True,
            keep=schedule,
            effective_at=body.effective_at,
        )
        return _answer(intake, saved, status.HTTP_201_CREATED)

    @api.put(
        "/{entry_id}",
        dependencies=Edits,
        responses={202: {"model": ScheduledRead, "description": "Kept for effective_at"}},
    )
    def update_knowledge(entry_id: str, body: KnowledgeUpdate, user: CurrentUser) -> KnowledgeRead:
        """Saves a new version; `active=false` retires the entry (agents are no longer
        offered it), `active=true` restores it."""
        saved = knowledge.save(
            intake,
            _draft(entry_id, body, body.active),
            user,
            new=False,
            keep=schedule,
            expected=body.version,
            effective_at=body.effective_at,
        )
        return _answer(intake, saved, status.HTTP_200_OK)


def _edits(user: Principal) -> bool:
    return user.role is Role.admin

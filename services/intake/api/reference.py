"""Reference data: the address library, which everyone signed in may read (the category
catalogue has its own routes in api/catalogue.py, the knowledge base in api/knowledge.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.common.auth import Role, require_roles
from services.common.errors import NotFound
from services.intake.api.models import AreaRead
from services.intake.domain.addresses import Suggestion
from services.intake.handlers.context import IntakeContext

Query100 = Annotated[str, Query(max_length=100)]
Limit = Annotated[int, Query(ge=1, le=50)]


def _area(s: Suggestion) -> AreaRead:
    a = s.area
    return AreaRead(
        code=a.code, name=a.name, path=s.path, level=a.level, lat=a.lat, lon=a.lon, score=s.score
    )


def router(intake: IntakeContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(require_roles(*Role))])
    _addresses(api, intake)
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

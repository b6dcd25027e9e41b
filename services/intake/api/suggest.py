"""Category suggestions while the agent types: the top leaves for the description so far,
with confidence and the words behind each. Nothing here changes a ticket; the agent accepts
one or not (the ticket then carries the first suggestion for its description anyway)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from services.common.auth import Role, require_roles
from services.common.text import CleanText
from services.intake.api.models import Strict
from services.intake.handlers.suggest import Suggester


class SuggestionsAsked(Strict):
    description: CleanText = Field(max_length=4000, description="The description so far")
    area_code: str | None = Field(
        default=None, max_length=32, description="The chosen place, if any (not used yet)"
    )


class SuggestedCategory(BaseModel):
    code: str
    name: str
    path: list[str] = Field(description="Names from the top level down to the leaf")
    confidence: float = Field(ge=0, le=1)
    words: list[str] = Field(
        description="The fragments of the description that weighed most for this category, "
        "strongest first, as typed (none from a catalogue with a single leaf)"
    )


class SuggestionsRead(BaseModel):
    model_version: int | None = Field(
        description="The serving model's version; null: the cold start from the catalogue "
        "and the knowledge base"
    )
    categories: list[SuggestedCategory]


def router(suggester: Suggester) -> APIRouter:
    api = APIRouter(
        prefix="/api/v1",
        tags=["assist"],
        dependencies=[Depends(require_roles(Role.agent, Role.dispatcher, Role.admin))],
    )

    @api.post("/suggestions")
    def suggestions(body: SuggestionsAsked) -> SuggestionsRead:
        """The three leaf categories the description most likely belongs to, best first,
        each with the words of the description that weighed most for it."""
        version, found = suggester.suggest(body.description)
        return SuggestionsRead(
            model_version=version,
            categories=[
                SuggestedCategory(
                    code=s.category.code,
                    name=s.category.name,
                    path=s.path,
                    confidence=s.confidence,
                    words=list(s.words),
                )
                for s in found
            ],
        )

    return api

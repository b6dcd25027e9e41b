"""Help while the agent types: the urgency the caller's words suggest. The agent decides;
nothing here changes a ticket."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.common.auth import Role, require_roles
from services.common.i18n import negotiate
from services.common.text import CleanText
from services.intake.adapters.seed import SEED_DIR
from services.intake.api.models import Strict
from services.intake.domain import urgency_cues

BUILT_IN_CUES = SEED_DIR / "urgency_cues.toml"


class CuesAsked(Strict):
    description: CleanText = Field(max_length=4000, description="The description so far")


class CueRead(BaseModel):
    word: str = Field(description="The cue's word or pattern (parts joined by …)")
    urgency: str
    reason: str = Field(description="Why, in the request's language")


class CuesRead(BaseModel):
    suggested: str | None = Field(description="The most severe urgency the cues suggest")
    cues: list[CueRead]


def load_cues(cues_file: str) -> tuple[urgency_cues.Cue, ...]:
    """The configured cues (the built-in list when no file is named); a file that cannot be
    used stops the start with its fault named."""
    return urgency_cues.load(Path(cues_file) if cues_file else BUILT_IN_CUES)


def router(cues: tuple[urgency_cues.Cue, ...]) -> APIRouter:
    api = APIRouter(
        prefix="/api/v1",
        tags=["assist"],
        dependencies=[Depends(require_roles(Role.agent, Role.dispatcher, Role.admin))],
    )

    @api.post("/urgency-cues")
    def urgency_cues_of(body: CuesAsked, request: Request) -> CuesRead:
        """The cues in the description and the urgency they suggest, for the agent to
        confirm (or not)."""
        lang = negotiate(request.headers.get("accept-language"))
        found = urgency_cues.find(cues, body.description)
        return CuesRead(
            suggested=urgency_cues.suggested(found),
            cues=[CueRead(word=f.word, urgency=f.urgency, reason=f.reason[lang]) for f in found],
        )

    return api

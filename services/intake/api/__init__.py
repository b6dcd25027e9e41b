"""Thin routes: parse, authorize, hand over to the handlers."""

from __future__ import annotations

from fastapi import APIRouter

from services.intake.api import (
    assist,
    calls,
    catalogue,
    knowledge,
    privacy,
    proactive,
    reference,
    sms,
    suggest,
)
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.suggest import Suggester


def routers(
    intake: IntakeContext, call_threads: int, cues_file: str = "", *, suggester: Suggester
) -> list[APIRouter]:
    return [
        calls.router(intake, call_threads),
        catalogue.router(intake),
        reference.router(intake),
        knowledge.router(intake),
        sms.router(intake),
        privacy.router(intake),
        proactive.router(intake),
        assist.router(assist.load_cues(cues_file)),
        suggest.router(suggester),
    ]

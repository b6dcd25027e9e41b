"""Dispatch's JSON API under /api/v1: thin routes that parse, authorize and hand over."""

from __future__ import annotations

from fastapi import APIRouter

from services.dispatch.api import (
    assignments,
    departments,
    directory,
    dispatcher,
    routing,
    rules,
    sla,
)
from services.dispatch.handlers.context import DispatchContext


def routers(deps: DispatchContext) -> list[APIRouter]:
    return [
        assignments.router(deps),
        dispatcher.router(deps),
        directory.router(deps),
        rules.router(deps),
        routing.router(deps),
        departments.router(deps),
        sla.router(deps),
    ]

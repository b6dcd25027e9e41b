"""The open hot-spot alarms, for the dispatchers' desk badge and for leaders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from services.common.auth import Role, require_roles
from services.dispatch.handlers import hotspots
from services.dispatch.handlers.context import DispatchContext

Watching = Depends(require_roles(Role.dispatcher, Role.leader))


def router(deps: DispatchContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["hot-spot alarms"])

    @api.get("/hotspot-alarms", dependencies=[Watching])
    def listing() -> list[dict[str, Any]]:
        """Alarms search raised and has not cleared, newest first, with the department
        whose territory holds the spot."""
        return hotspots.open_alarms(deps)

    return api

"""Hot-spot alarms for leaders and dispatchers: the open ones (the dashboard's banner) and
acknowledging one, with the links that act on it. Thin routes over `handlers.alarms`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path

from services.common.auth import CurrentUser, Role, require_roles
from services.search.handlers import alarms
from services.search.handlers.context import SearchContext
from services.search.handlers.ports import AlarmTransaction

Watching = Depends(require_roles(Role.leader, Role.dispatcher))
AlarmId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The alarm's id")]


def offers(alarm: dict[str, Any]) -> dict[str, str]:
    """Where acting on the alarm starts: intake's proactive ticket page and search's monthly
    themes page, each prefilled (paths within their service)."""
    key = alarm["spot_key"]
    proactive = {"source": f"hotspot:{key}", "category": alarm["category_code"],
                 "area": alarm["area_code"]}  # fmt: skip
    return {
        "proactive": "/proactive?" + urlencode(proactive),
        "theme": "/themes?" + urlencode({"hotspot": key}),
    }


def router(reader: SearchContext, uow: Callable[[], AlarmTransaction]) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["hot-spot alarms"])

    @api.get("/hotspot-alarms", dependencies=[Watching])
    def listing() -> list[dict[str, Any]]:
        """Alarms raised and not yet cleared, newest first, each with its offers."""
        return [a | {"offers": offers(a)} for a in alarms.active(reader, uow)]

    @api.post("/hotspot-alarms/{alarm_id}/acknowledge", dependencies=[Watching])
    def acknowledge(alarm_id: AlarmId, user: CurrentUser) -> dict[str, Any]:
        """Marks the alarm seen (who and when, audited); a second time changes nothing."""
        alarm = alarms.acknowledge(reader, uow, user, alarm_id)
        return alarm | {"offers": offers(alarm)}

    return api

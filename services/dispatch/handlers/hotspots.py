"""Hot-spot alarms from search: the territorial department's duty contact hears of each
one once (a notice keyed by the alarm), and the desk shows the open ones to dispatchers."""

from __future__ import annotations

from typing import Any

from proto.envelope import Envelope
from proto.insights import HotSpotCleared, HotSpotRaised
from services.dispatch.domain.notice import HOTSPOT
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.handlers.ports import UnitOfWork


def on_raised(
    deps: DispatchContext, u: UnitOfWork, envelope: Envelope, event: HotSpotRaised
) -> None:
    """Notes the alarm and queues a notice to the office that covers the street (the
    street office, else its district); none when no office covers it or it has no channel."""
    route = deps.directory.router(u.rules).territory(event.area_code)
    department = route.department.code if route else None
    u.hotspots.add({
        "alarm_id": event.alarm_id, "category_code": event.category_code,
        "category_name": event.category_name, "area_code": event.area_code,
        "area_name": event.area_name, "department_code": department, "count": event.count,
        "score": event.score, "raised_at": event.at,
    })  # fmt: skip
    if department is not None:
        spot = f"{event.category_code}@{event.area_code}"
        firing = (event.alarm_id, spot, department, HOTSPOT, "raised", event.at)
        u.notices.queue([firing], deps.now(), deps.new_id)


def on_cleared(
    deps: DispatchContext, u: UnitOfWork, envelope: Envelope, event: HotSpotCleared
) -> None:
    u.hotspots.clear(event.alarm_id, event.at)


def open_alarms(deps: DispatchContext) -> list[dict[str, Any]]:
    with deps.uow() as u:
        return u.hotspots.open()

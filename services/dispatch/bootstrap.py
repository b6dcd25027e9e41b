"""Builds the dispatch service from settings: the one place its parts are wired."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from proto.feedback import FEEDBACK, ReopenRequested
from proto.insights import INSIGHTS, HotSpotCleared, HotSpotRaised
from proto.tickets import TICKETS, TicketCreated, TicketRaisedForSupervision
from services.common import scheduled
from services.common.app import create_app
from services.common.auth import Role
from services.common.clock import utcnow
from services.common.db import uow_factory
from services.common.i18n import register
from services.common.platform import add_consumer, make_platform
from services.common.sessions import install_sessions
from services.common.settings import Settings
from services.common.web import mount_pages
from services.common.workers import Worker
from services.dispatch.adapters.calendar_data import calendars
from services.dispatch.adapters.directory import Directory, seed_database
from services.dispatch.adapters.orm import metadata, scheduled_changes
from services.dispatch.adapters.seed import load_policies
from services.dispatch.adapters.unit_of_work import DispatchUnitOfWork
from services.dispatch.api import calendar as calendar_api
from services.dispatch.api import hotspots as hotspot_api
from services.dispatch.api import routers
from services.dispatch.config import DispatchSettings
from services.dispatch.handlers import consumers, hotspots, rules
from services.dispatch.handlers import departments as departments_admin
from services.dispatch.handlers import sla as sla_admin
from services.dispatch.handlers.calendar import CalendarWatch
from services.dispatch.handlers.context import DispatchContext
from services.dispatch.handlers.notices import notice_worker
from services.dispatch.handlers.scheduler import Scheduler
from services.dispatch.messages import MESSAGES

PAGES = Path(__file__).resolve().parent / "pages"
DESK = "desk.html"
PAGE_MAP = {
    "/workbench": "workbench.html",
    "/review": DESK,
    "/returned": DESK,
    "/extensions": DESK,
    "/supervision": DESK,
    "/rules": "rules.html",
    "/sla": "sla.html",
    "/departments": "departments.html",
    "/calendar": "calendar.html",
}


def build(
    settings: Settings,
    options: DispatchSettings | None = None,
    now: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """The dispatch app; `options` default to the HOTLINE_DISPATCH_* environment, `now`
    lets tests drive the clocks."""
    register(MESSAGES)
    options = (options or DispatchSettings()).checked_for(settings)
    platform = make_platform("dispatch", settings, metadata)
    install_sessions(platform, settings, metadata)
    uow = uow_factory(platform.engine, metadata, "dispatch", DispatchUnitOfWork)
    policies = load_policies(options.sla_file)
    hours = (options.working_hours_start, options.working_hours_end)
    clocks = calendars(options.calendar_file, *hours)
    deps = DispatchContext(uow, Directory(), policies, clocks, now=now, policies_stored=True)
    _seed(deps)
    watch = CalendarWatch(deps, options.calendar_file, options.calendar_refresh_seconds)
    watch.refresh(force=True)
    platform.workers.append(Worker("dispatch-calendar", watch.step, idle=1.0))
    platform.workers.append(Worker("dispatch-sla", partial(sla_admin.refresh, deps), idle=2.0))
    platform.workers.append(notice_worker(deps, options, platform.closers))
    add_consumer(
        platform,
        settings,
        "dispatch",
        [TICKETS, FEEDBACK, INSIGHTS],
        {
            TicketCreated.TYPE: partial(consumers.on_ticket_created, deps),
            TicketRaisedForSupervision.TYPE: partial(consumers.on_raised_for_supervision, deps),
            ReopenRequested.TYPE: partial(consumers.on_reopen_requested, deps),
            HotSpotRaised.TYPE: partial(hotspots.on_raised, deps),
            HotSpotCleared.TYPE: partial(hotspots.on_cleared, deps),
        },
        uow,
    )
    scheduler = Scheduler(deps, options.scheduler_batch, options.gauge_seconds)
    if options.scheduler:
        step = Worker("dispatch-scheduler", scheduler.tick, idle=options.scheduler_interval)
        platform.workers.append(step)
    # Configuration changes kept for a later date, applied by the code that applies them
    # at once: one applier per kind of configuration.
    appliers: dict[str, scheduled.Applier] = {
        "routing_rule": rules.apply_scheduled,
        "department": departments_admin.apply_scheduled,
        "sla_policy": partial(sla_admin.apply_scheduled, deps),
    }
    step_changes = partial(scheduled.apply_due, deps.uow, scheduled_changes, appliers, now)
    platform.workers.append(Worker("dispatch-scheduled-changes", step_changes, idle=1.0))
    apis = [
        *routers(deps),
        calendar_api.router(deps, watch),
        hotspot_api.router(deps),
        scheduled.router(deps.uow, scheduled_changes, readers=(Role.dispatcher, Role.leader)),
    ]
    app = create_app(platform, apis, "Hotline dispatch")
    mount_pages(app, PAGES, PAGE_MAP, "/workbench", settings)
    app.state.deps, app.state.scheduler, app.state.calendar = deps, scheduler, watch
    return app


def _seed(deps: DispatchContext, attempts: int = 3) -> None:
    # Two instances starting together may insert the same seed row; the loser tries again
    # and then finds everything in place.
    for attempt in range(attempts):
        try:
            with deps.uow() as u:
                seed_database(u.session, deps.now())
                u.sla.seed(deps.policies, deps.now())  # sla.toml, until admins edit
                u.commit()
            return
        except IntegrityError:
            if attempt == attempts - 1:
                raise

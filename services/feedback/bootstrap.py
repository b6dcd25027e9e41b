"""Builds the feedback service from settings: the one place its parts are wired."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from fastapi import FastAPI

from proto.assignments import (
    ASSIGNMENTS,
    AssignmentAcknowledged,
    AssignmentDispatched,
    AssignmentResolved,
    AssignmentReturned,
    CitizenContacted,
    ClocksResumed,
)
from proto.tickets import TICKETS, TicketAnsweredDirectly, TicketCreated
from services.common.app import Platform, create_app
from services.common.clock import utcnow
from services.common.db import uow_factory
from services.common.i18n import register
from services.common.platform import add_consumer, make_platform
from services.common.ratelimit import FixedWindowLimiter
from services.common.sealed_links import LinkSeal
from services.common.sessions import install_sessions
from services.common.settings import Settings
from services.common.web import mount_pages
from services.common.workers import Worker
from services.feedback.adapters.links import LinkSigner
from services.feedback.adapters.orm import metadata
from services.feedback.adapters.unit_of_work import FeedbackUnitOfWork
from services.feedback.api import appeals, public, rankings, staff
from services.feedback.config import FeedbackSettings
from services.feedback.handlers import expiry, ranking, tracking
from services.feedback.handlers.context import FeedbackContext
from services.feedback.messages import MESSAGES

PAGES = Path(__file__).resolve().parent / "pages"


def build(
    settings: Settings,
    options: FeedbackSettings | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """`options` default to the HOTLINE_FEEDBACK_* environment; `clock` (UTC now) decides
    ratings' months, expiries and the current month, and tests move it."""
    register(MESSAGES)
    options = (options or FeedbackSettings()).checked_for(settings)
    platform = make_platform("feedback", settings, metadata)
    install_sessions(platform, settings, metadata)
    uow = uow_factory(platform.engine, metadata, "feedback", FeedbackUnitOfWork)
    fb = _feedback(platform, settings, options, clock, uow)
    _consume(platform, settings, fb, uow)
    _schedule(platform, fb, options)
    limiter = FixedWindowLimiter(options.public_rate_limit, options.public_rate_window_seconds)
    routers = [
        public.router(fb, limiter, platform.auth.proxies),
        staff.router(fb),
        rankings.router(fb),
        appeals.router(fb, timedelta(days=options.appeal_window_days)),
    ]
    app = create_app(platform, routers, "Hotline feedback")
    pages = {"/rankings": "rankings.html", "/callbacks": "callbacks.html", "/rate": "rate.html"}
    pages["/appeals"] = "appeals.html"
    mount_pages(app, PAGES, pages, "/rankings", settings, {"/rate": public.PAGE_HEADERS})
    return app


def _feedback(
    platform: Platform,
    settings: Settings,
    options: FeedbackSettings,
    clock: Callable[[], datetime],
    uow: Callable[[], FeedbackUnitOfWork],
) -> FeedbackContext:
    ttl = timedelta(hours=options.invitation_ttl_hours)
    return FeedbackContext(
        uow=uow,
        signer=LinkSigner(options.link_secret, ttl, clock),
        seal=LinkSeal(settings.rating_link_keys),
        base_url=options.base_url(settings),
        invitation_ttl=ttl,
        reopen_limit=options.reopen_limit,
        weights=options.weights(),
        clock=clock,
    )


def _consume(
    platform: Platform,
    settings: Settings,
    fb: FeedbackContext,
    uow: Callable[[], FeedbackUnitOfWork],
) -> None:
    handlers = {
        TicketCreated.TYPE: partial(tracking.on_ticket_created, fb),
        TicketAnsweredDirectly.TYPE: partial(tracking.on_answered_directly, fb),
        AssignmentDispatched.TYPE: partial(tracking.on_assignment_dispatched, fb),
        AssignmentAcknowledged.TYPE: partial(tracking.on_acknowledged, fb),
        CitizenContacted.TYPE: partial(tracking.on_contacted, fb),
        AssignmentReturned.TYPE: partial(tracking.on_returned, fb),
        ClocksResumed.TYPE: partial(tracking.on_clocks_resumed, fb),
        AssignmentResolved.TYPE: partial(tracking.on_resolved, fb),
    }
    add_consumer(platform, settings, "feedback", [TICKETS, ASSIGNMENTS], handlers, uow)


def _schedule(platform: Platform, fb: FeedbackContext, options: FeedbackSettings) -> None:
    platform.workers.append(
        Worker("feedback-expiry", partial(expiry.expire_due, fb), idle=options.expiry_sweep_seconds)
    )
    platform.workers.append(
        Worker(
            "feedback-gauges",
            partial(ranking.refresh_gauges, fb, set()),
            idle=options.gauge_refresh_seconds,
        )
    )

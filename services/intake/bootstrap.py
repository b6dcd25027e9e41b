"""Builds the intake service from settings: the one place its parts are wired."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path

from fastapi import APIRouter, FastAPI
from sqlalchemy.exc import IntegrityError

from proto.assignments import (
    ASSIGNMENTS,
    AssignmentDispatched,
    AssignmentResolved,
    CitizenContacted,
)
from proto.feedback import FEEDBACK, RatingRequested, ReopenRequested, TicketClosed, TicketRated
from services.common import scheduled
from services.common.app import Platform, create_app
from services.common.auth import Role
from services.common.clock import utcnow
from services.common.consumer import Handler
from services.common.db import uow_factory
from services.common.i18n import register
from services.common.limits import allow_larger
from services.common.platform import add_consumer, make_platform
from services.common.sealed_links import LinkSeal
from services.common.sessions import install_sessions
from services.common.settings import PORTS, Settings
from services.common.sms import HttpGateway, LocalOutbox, SmsGateway
from services.common.web import mount_pages
from services.common.workers import Worker
from services.intake import metrics
from services.intake.adapters.imap_inbox import ImapInbox
from services.intake.adapters.orm import metadata, scheduled_changes
from services.intake.adapters.seed import load_addresses, load_categories, load_knowledge
from services.intake.adapters.smtp_outbox import SmtpOutbox
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.adapters.vault import PhoneVault
from services.intake.api import open311, public, routers
from services.intake.api import photos as photo_routes
from services.intake.api.limits import PublicPages
from services.intake.config import IntakeSettings
from services.intake.domain.sms import RetryPolicy
from services.intake.domain.tracking import TrackingSigner
from services.intake.handlers import (
    catalogue,
    events,
    knowledge,
    photos,
    portal,
    privacy,
    tracking,
)
from services.intake.handlers.context import IntakeContext
from services.intake.handlers.mail import forget_senders
from services.intake.handlers.mailroom import MailPoller, ReplySender, instance_name
from services.intake.handlers.sms import SmsSender
from services.intake.handlers.suggest import Suggester, Uow
from services.intake.messages import MESSAGES

PAGES = Path(__file__).resolve().parent / "pages"
# Events that put an entry on the citizen's timeline (services/intake/domain/portal.py).
PROJECTED = [
    e.TYPE
    for e in (
        AssignmentDispatched,
        CitizenContacted,
        AssignmentResolved,
        TicketRated,
        ReopenRequested,
        TicketClosed,
    )
]


def build(settings: Settings, options: IntakeSettings | None = None) -> FastAPI:
    """The intake app; `options` default to intake's own variables in the environment."""
    register(MESSAGES)
    options = (options or IntakeSettings()).checked_for(settings)
    platform = make_platform("intake", settings, metadata)
    install_sessions(platform, settings, metadata)
    uow = uow_factory(platform.engine, metadata, "intake", IntakeUnitOfWork)
    intake = IntakeContext(
        uow=uow,
        addresses=load_addresses(),
        vault=PhoneVault(options.phone_keys, options.caller_key_secret),
        reveal_window=timedelta(hours=options.phone_reveal_hours),
        frequent_caller_per_day=options.frequent_caller_per_day,
        tracking=TrackingSigner(options.caller_key_secret, options.portal_base(settings)),
    )
    suggester = _suggester(platform, options, intake, uow)
    # Every ticket intake creates carries the suggester's first leaf for its description.
    intake = replace(intake, suggest=suggester.for_ticket)
    seed(intake)
    handlers = consumed(LinkSeal(settings.rating_link_keys), intake.tracking)
    add_consumer(platform, settings, "intake", [ASSIGNMENTS, FEEDBACK], handlers, uow)
    _sms_worker(platform, options, intake)
    _mail_workers(platform, options, intake, settings.port("intake"))
    _retention_worker(platform, options, intake)
    proxies = platform.auth.proxies
    served = [
        *routers(
            intake, options.call_threads, options.intake_urgency_cues_file, suggester=suggester
        ),
        *open311.routers(intake, options, proxies),
    ]
    citizens = public.router(intake, proxies, options.portal_requests_per_minute)
    served += [citizens, public.staff_router(intake)]
    served.append(_scheduled_changes(platform, intake))
    app = create_app(platform, served, "Hotline intake")
    uploads = photo_routes.router(
        intake, proxies, options.photo_uploads_free, options.media_requests_per_minute
    )
    app.include_router(uploads)
    _photo_uploads(app, settings)
    pages = {
        "/console": "console.html",
        "/sms": "sms.html",
        "/reveal": "reveal.html",
        "/privacy": "privacy.html",
        "/open311-apps": "open311.html",
        "/proactive": "proactive.html",
        "/categories": "categories.html",
        "/knowledge": "knowledge.html",
        "/report": "report.html",
        "/track": "track.html",
        "/track/{token}": "track.html",
    }
    public_pages = dict.fromkeys(["/report", "/track", "/track/{token}"], public.PAGE_HEADERS)
    mount_pages(app, PAGES, pages, "/console", settings, public_pages)
    app.add_middleware(PublicPages, per_minute=options.portal_requests_per_minute, proxies=proxies)
    return app


def _scheduled_changes(platform: Platform, intake: IntakeContext) -> APIRouter:
    """Catalogue and knowledge changes kept for a later date, applied by the code that
    applies them at once: one applier per kind of configuration."""
    appliers: dict[str, scheduled.Applier] = {
        "category": catalogue.apply_scheduled,
        "knowledge": knowledge.apply_scheduled,
    }
    step = partial(scheduled.apply_due, intake.uow, scheduled_changes, appliers, intake.clock)
    platform.workers.append(Worker("intake-scheduled-changes", step, idle=1.0))
    return scheduled.router(intake.uow, scheduled_changes, readers=(Role.dispatcher,))


def consumed(seal: LinkSeal, links: TrackingSigner | None = None) -> Mapping[str, Handler]:
    """Event type → handler: statuses for the console, texts for the citizen (with their
    tracking link), their timeline, and when a callback is due."""
    # Each handler takes intake's unit of work (its port), which the consumer is given.
    table: dict[str, Callable[..., None]] = {kind: events.on_status for kind in events.STATUS}
    table[AssignmentDispatched.TYPE] = events.on_dispatched
    table[AssignmentResolved.TYPE] = events.on_resolved
    table[RatingRequested.TYPE] = partial(events.on_rating_requested, seal, tracking=links)
    table[TicketRated.TYPE] = events.on_rated
    table[TicketClosed.TYPE] = events.on_closed
    table[ReopenRequested.TYPE] = events.on_reopened
    for kind in events.FIELD_PHOTOS:
        table[kind] = partial(events.with_field_photos, table[kind])
    for kind in PROJECTED:
        table[kind] = tracking.projecting(table[kind])
    return table


def seed(intake: IntakeContext) -> None:
    """First start: the seed catalogue and knowledge base. Two instances starting together
    may race; the loser finds the rows there and carries on."""
    now = utcnow()
    try:
        with intake.uow() as uow:
            if not uow.catalogue.version():
                uow.catalogue.seed(load_categories(), now)
                uow.knowledge.seed(load_knowledge(), now)
            uow.commit()
    except IntegrityError:
        return


def _sms_worker(platform: Platform, settings: IntakeSettings, intake: IntakeContext) -> None:
    gateway: SmsGateway = LocalOutbox()
    if settings.sms_gateway == "http":
        http = HttpGateway(
            settings.sms_gateway_url, settings.sms_gateway_token, settings.sms_timeout_seconds
        )
        platform.closers.append(http.close)
        gateway = http
    policy = RetryPolicy(settings.sms_max_attempts, settings.sms_retry_base_seconds)
    sender = SmsSender(intake, gateway, policy, redact_delivered=settings.sms_gateway == "http")
    platform.workers.append(Worker("intake-sms", sender.step, idle=0.5))


def _photo_uploads(app: FastAPI, settings: Settings) -> None:
    """An upload carries one photo, more than other bodies may; the other services' pages on
    their own ports (the department workbench) upload here too."""
    allow_larger(app, photo_routes.UPLOAD, photo_routes.UPLOAD_ALLOWANCE)
    ports = frozenset(settings.port(name) for name in PORTS)
    app.add_middleware(photo_routes.SiblingOrigins, ports=ports)


def _mail_workers(
    platform: Platform, settings: IntakeSettings, intake: IntakeContext, port: int
) -> None:
    """The email inbox, when a mailbox is configured: its poller and its answers' sender;
    senders' addresses are erased past retention like callers' numbers in any case."""
    forget = partial(forget_senders, intake, settings.phone_retention_days)
    idle = settings.retention_sweep_seconds
    platform.workers.append(Worker("intake-mail-retention", forget, idle=idle))
    if not settings.mail_imap_host:
        return
    inbox = ImapInbox(
        settings.mail_imap_host,
        settings.mail_imap_port,
        settings.mail_imap_user,
        settings.mail_imap_password.get_secret_value(),
        settings.mail_imap_mailbox,
        settings.mail_imap_tls,
    )
    outbox = SmtpOutbox(
        settings.mail_smtp_host,
        settings.mail_smtp_port,
        settings.mail_smtp_from,
        settings.mail_smtp_user,
        settings.mail_smtp_password.get_secret_value(),
        settings.mail_smtp_tls,
    )
    lease = timedelta(seconds=settings.mail_lease_seconds)
    holder = instance_name(settings.mail_instance, port)
    poller = MailPoller(intake, inbox, settings.mail_max_bytes, lease, holder=holder)
    retry = RetryPolicy(settings.mail_max_attempts)
    sender = ReplySender(intake, outbox, retry, lease, holder=holder)
    metrics.MAIL_LAST_READ.set(time.time())  # not read since start: alerts count from here
    # A mail server that is away is asked again after a growing delay, up to a minute.
    platform.workers.append(
        Worker("intake-mail", poller.step, idle=settings.mail_poll_seconds, max_backoff=60.0)
    )
    platform.workers.append(Worker("intake-mail-replies", sender.step, idle=1.0))
    platform.closers += [poller.release, inbox.close]


def _suggester(
    platform: Platform, settings: IntakeSettings, intake: IntakeContext, uow: Uow
) -> Suggester:
    """The category suggester, and its scheduled retrain unless turned off (0 hours)."""
    suggester = Suggester(uow, intake.catalogue, intake.clock)
    hours = settings.intake_suggester_retrain_hours
    if hours > 0:
        step = partial(suggester.retrain_if_due, settings.intake_suggester_retrain_min_tickets)
        platform.workers.append(Worker("intake-suggester-retrain", step, idle=hours * 3600))
    return suggester


def _retention_worker(platform: Platform, settings: IntakeSettings, intake: IntakeContext) -> None:
    """Erases numbers past retention; safe beside other instances (an erased number is
    no longer found), and it catches up in batches after a pause."""
    step = partial(privacy.erase_expired, intake, settings.phone_retention_days)
    platform.workers.append(Worker("intake-retention", step, idle=settings.retention_sweep_seconds))
    # Photos uploaded and never sent with a report, a day on: the same hourly sweep.
    purge = partial(photos.purge_unattached, intake)
    sweep = settings.retention_sweep_seconds
    platform.workers.append(Worker("intake-photo-purge", purge, idle=sweep))
    # The portal's codes, once no throttle counts them: the same sweep.
    codes = partial(portal.purge_expired, intake)
    platform.workers.append(Worker("intake-portal-purge", codes, idle=sweep))

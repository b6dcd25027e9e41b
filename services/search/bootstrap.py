"""Builds the search service from settings: projection consumer + index port + API + pages."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import cast

from fastapi import APIRouter, FastAPI
from sqlalchemy.orm import sessionmaker

from proto.assignments import ASSIGNMENTS
from proto.audit import AUDIT
from proto.audit import EVENTS as AUDIT_EVENTS
from proto.feedback import FEEDBACK
from proto.tickets import TICKETS
from services.common.app import Platform, create_app
from services.common.consumer import Handler, PeerAway
from services.common.db import uow_factory
from services.common.i18n import register
from services.common.platform import add_consumer, make_platform
from services.common.rate_weights import RateWeightSettings
from services.common.sessions import install_sessions
from services.common.settings import Settings
from services.common.web import mount_pages
from services.common.workers import Worker
from services.search import metrics
from services.search.adapters.alarms import AlarmsUnitOfWork
from services.search.adapters.audit import AuditUnitOfWork, audit_reader
from services.search.adapters.documents import SearchUnitOfWork
from services.search.adapters.elastic import ElasticIndex
from services.search.adapters.generations import EmbeddedGenerations
from services.search.adapters.index import SearchIndex
from services.search.adapters.labels import LabelStore
from services.search.adapters.ledger import enter, ledgers
from services.search.adapters.orm import metadata
from services.search.adapters.public import PublishedMonths
from services.search.adapters.themes import theme_stores
from services.search.api import alarms as alarm_routes
from services.search.api import audit as audit_routes
from services.search.api import ledger as ledger_routes
from services.search.api import public as public_routes
from services.search.api import reports as report_routes
from services.search.api import routes
from services.search.api import themes as theme_routes
from services.search.config import SearchSettings
from services.search.domain.projection import KNOWN_EVENTS
from services.search.domain.public import Rules
from services.search.handlers import alarms, audit, folding
from services.search.handlers.context import SearchContext
from services.search.handlers.ledger import LedgerBook, Sealer, chained
from services.search.handlers.public import PublicMonths, ledger_roots
from services.search.handlers.themes import ThemeBook
from services.search.messages import MESSAGES

log = logging.getLogger(__name__)
TOPICS = (TICKETS, ASSIGNMENTS, FEEDBACK)
PAGES = Path(__file__).resolve().parent / "pages"


def make_index(settings: Settings, options: SearchSettings) -> SearchIndex:
    """The index the settings choose; both kinds can also be rebuilt (`Rebuildable`)."""
    if options.search_backend == "elasticsearch":
        return ElasticIndex(options)
    return EmbeddedGenerations(settings.data_dir)


def _public(
    platform: Platform,
    settings: Settings,
    options: SearchSettings,
    reader: SearchContext,
    book: ThemeBook,
) -> APIRouter:
    """The month in public: no sign-in, limited per client address."""
    sessions = sessionmaker(platform.engine)
    rules = Rules(options.search_public_min_count, options.search_public_close_days)
    roots = ledger_roots(ledgers(sessions))
    published = PublicMonths(reader, book, book.weights, PublishedMonths(sessions), rules, roots)
    per_minute = options.search_public_requests_per_minute
    return public_routes.router(published, settings, PAGES, per_minute, platform.auth.proxies)


def build(settings: Settings, options: SearchSettings | None = None) -> FastAPI:
    """The search app; `options` default to search's own variables in the environment."""
    register(MESSAGES)
    options = (options or SearchSettings()).checked_for(settings)
    platform = make_platform("search", settings, metadata)
    install_sessions(platform, settings, metadata)
    uow = uow_factory(platform.engine, metadata, "search", SearchUnitOfWork)
    index = make_index(settings, options)
    try:
        index.ensure()
    except PeerAway:
        # Come up anyway, not ready: the index is created on the first write once it is back.
        log.warning("search index unreachable at start-up", exc_info=True)
    labels = LabelStore()
    fold = partial(folding.on_event, index)
    # Every event consumed is also entered in the ledger, in the same transaction.
    folds = {e.TYPE: chained(fold, enter) for e in KNOWN_EVENTS}
    add_consumer(platform, settings, "search", TOPICS, folds, uow)
    # The audit log stays in this database whatever the index: see adapters/audit.py.
    audited = uow_factory(platform.engine, metadata, "search", AuditUnitOfWork)
    # The consumer hands each handler a unit of work of `audited`'s kind: an AuditTransaction.
    keep = {e.TYPE: chained(cast(Handler, audit.on_event), enter) for e in AUDIT_EVENTS}
    add_consumer(platform, settings, "search-audit", (AUDIT,), keep, audited)
    platform.checks["index"] = index.ping
    platform.closers.append(index.close)
    reader = SearchContext(index, sessionmaker(platform.engine), labels)
    platform.workers.append(
        Worker("search-hotspots", partial(metrics.refresh_hotspots, reader), idle=60.0)
    )
    changes = uow_factory(platform.engine, metadata, "search")
    alarmed = uow_factory(platform.engine, metadata, "search", AlarmsUnitOfWork)
    watch = alarms.AlarmWatch(reader, alarmed, options.hotspot_thresholds())
    interval = options.hotspot_alarm_interval_seconds
    platform.workers.append(Worker("search-hotspot-alarms", watch.step, idle=interval))
    sealer = Sealer(ledgers(sessionmaker(platform.engine)))
    platform.workers.append(Worker("search-ledger-seals", sealer.step, idle=60.0))
    read, change = theme_stores(sessionmaker(platform.engine), changes)
    book = ThemeBook(reader, read, change, RateWeightSettings().weights())
    audit_log = audit.AuditLog(audit_reader(sessionmaker(platform.engine)))
    served = [routes.router(reader, book), theme_routes.router(book)]
    served.append(report_routes.router(reader, book, book.weights))
    served.append(audit_routes.router(audit_log))
    served.append(ledger_routes.router(LedgerBook(ledgers(sessionmaker(platform.engine)))))
    served.append(alarm_routes.router(reader, alarmed))
    served.append(_public(platform, settings, options, reader, book))
    app = create_app(platform, served, "Hotline search")
    pages = {"/search": "search.html", "/dashboard": "dashboard.html", "/themes": "themes.html"}
    pages["/monthly"] = "monthly.html"
    pages["/audit"] = "audit.html"
    mount_pages(app, PAGES, pages, "/search", settings)
    return app

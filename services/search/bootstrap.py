"""Builds the search service from settings: projection consumer + index port + API."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from proto.assignments import ASSIGNMENTS, AssignmentDispatched
from proto.tickets import TICKETS, TicketCreated
from services.common.app import create_app
from services.common.db import uow_factory
from services.common.i18n import register
from services.common.platform import add_consumer, make_platform
from services.common.settings import Settings
from services.search import api, handlers
from services.search.adapters.elastic import ElasticIndex
from services.search.adapters.fts import EmbeddedIndex
from services.search.adapters.index import SearchIndex
from services.search.adapters.orm import metadata

MESSAGES = {
    "search.ticket_not_found": {"zh": "工单 {id} 不存在", "en": "Ticket {id} not found"},
}


def make_index(settings: Settings) -> SearchIndex:
    if settings.search_backend == "elasticsearch":
        return ElasticIndex(settings)
    return EmbeddedIndex(settings.data_dir / "search-index.db")


def build(settings: Settings) -> FastAPI:
    register(MESSAGES)
    platform = make_platform("search", settings, metadata)
    uow = uow_factory(platform.engine, metadata, "search")
    index = make_index(settings)
    index.ensure()
    fold = partial(handlers.on_event, index)
    add_consumer(
        platform,
        settings,
        "search",
        [TICKETS, ASSIGNMENTS],
        {TicketCreated.TYPE: fold, AssignmentDispatched.TYPE: fold},
        uow,
    )
    platform.checks["index"] = index.ping
    platform.closers.append(index.close)
    return create_app(platform, [api.router(index)], "Hotline search")

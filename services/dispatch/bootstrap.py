"""Builds the dispatch service from settings."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from proto.tickets import TICKETS, TicketCreated
from services.common.app import create_app
from services.common.db import uow_factory
from services.common.i18n import register
from services.common.platform import add_consumer, make_platform
from services.common.settings import Settings
from services.dispatch import api, handlers
from services.dispatch.adapters.orm import metadata
from services.dispatch.adapters.seed import load_router

MESSAGES = {
    "dispatch.assignment_not_found": {"zh": "派单 {id} 不存在", "en": "Assignment {id} not found"},
}


def build(settings: Settings) -> FastAPI:
    register(MESSAGES)
    platform = make_platform("dispatch", settings, metadata)
    uow = uow_factory(platform.engine, metadata, "dispatch")
    router = load_router()
    add_consumer(
        platform,
        settings,
        "dispatch",
        [TICKETS],
        {TicketCreated.TYPE: partial(handlers.on_ticket_created, router)},
        uow,
    )
    return create_app(platform, [api.router(uow)], "Hotline dispatch")

"""Builds the feedback service from settings."""

from __future__ import annotations

from fastapi import FastAPI

from proto.assignments import ASSIGNMENTS, AssignmentDispatched
from services.common.app import create_app
from services.common.db import uow_factory
from services.common.platform import add_consumer, make_platform
from services.common.settings import Settings
from services.feedback import api, handlers
from services.feedback.adapters.orm import metadata


def build(settings: Settings) -> FastAPI:
    platform = make_platform("feedback", settings, metadata)
    uow = uow_factory(platform.engine, metadata, "feedback")
    add_consumer(
        platform,
        settings,
        "feedback",
        [ASSIGNMENTS],
        {AssignmentDispatched.TYPE: handlers.on_assignment_dispatched},
        uow,
    )
    return create_app(platform, [api.router(uow)], "Hotline feedback")

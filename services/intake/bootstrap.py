"""Builds the intake service from settings: the one place its parts are wired."""

from __future__ import annotations

from fastapi import FastAPI

from proto.assignments import ASSIGNMENTS, AssignmentDispatched
from services.common.app import create_app
from services.common.db import uow_factory
from services.common.i18n import register
from services.common.platform import add_consumer, make_platform
from services.common.settings import Settings
from services.intake import api, handlers
from services.intake.adapters.orm import metadata
from services.intake.adapters.seed import load_tree

MESSAGES = {
    "intake.unknown_category": {
        "zh": "分类 {code} 不存在或不是末级分类",
        "en": "Category {code} does not exist or is not a leaf category",
    },
    "intake.unknown_area": {
        "zh": "地址库中没有编码为 {code} 的区域",
        "en": "The address library has no area with code {code}",
    },
    "intake.invalid_phone": {
        "zh": "来电号码不是有效的手机或固定电话号码",
        "en": "The caller's number is not a valid mobile or landline number",
    },
    "intake.ticket_not_found": {"zh": "工单 {id} 不存在", "en": "Ticket {id} not found"},
}


def build(settings: Settings) -> FastAPI:
    register(MESSAGES)
    platform = make_platform("intake", settings, metadata)
    uow = uow_factory(platform.engine, metadata, "intake")
    ref = handlers.Reference(
        categories=load_tree("catalogue.toml", "categories"),
        areas=load_tree("addresses.toml", "areas"),
        caller_key_secret=settings.caller_key_secret,
    )
    add_consumer(
        platform,
        settings,
        "intake",
        [ASSIGNMENTS],
        {AssignmentDispatched.TYPE: handlers.on_assignment_dispatched},
        uow,
    )
    return create_app(platform, [api.router(uow, ref)], "Hotline intake")

"""Helpers for the admin console's page tests: a page signed in as a demo user, and the
configuration audit events a running service wrote to its outbox."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select

from services.common.db import make_engine
from services.common.messaging_tables import outbox_table
from services.common.settings import Settings
from tests.support.harness import PASSWORDS, Cluster


def open_page(browser: Any, cluster: Cluster, service: str, user: str, path: str) -> Any:
    """`path` of `service` in a fresh context, signed in as `user`; page errors are kept
    in `page.errors`."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(f"{cluster.url(service)}/login?next={path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"{re.escape(path)}$"))
    page.wait_for_selector("#who:not(:empty)")
    return page


def audits(cluster: Cluster, service: str, metadata: MetaData, kind: str) -> list[dict[str, Any]]:
    """The ConfigurationChanged payloads of `kind` the service published, oldest first."""
    settings = Settings(data_dir=Path(cluster.env["HOTLINE_DATA_DIR"]))
    engine = make_engine(settings.database_url_for(service))
    outbox = outbox_table(metadata)
    try:
        with engine.connect() as connection:
            rows = connection.scalars(select(outbox.c.payload).order_by(outbox.c.id)).all()
    finally:
        engine.dispose()
    events = [json.loads(r) for r in rows]
    return [
        e["payload"]
        for e in events
        if e["type"] == "ConfigurationChanged" and e["payload"]["kind"] == kind
    ]

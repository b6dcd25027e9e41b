"""The ledger in real Chromium, against the search service running as its own process on
the embedded bus: the audit page shows the day sealed with its Merkle root and count, and a
ticket's timeline on the search page marks the entry that corrects an earlier one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker

from services.common.bus.factory import make_bus
from services.common.db import make_engine
from services.common.settings import Settings
from services.search.adapters.ledger import ledgers
from services.search.domain.ledger import Seal, day_of
from services.search.handlers.ledger import Sealer
from tests.support.dispatch import put_on_bus
from tests.support.harness import PASSWORDS, Cluster, embedded_env, eventually
from tests.support.monthly import SATISFIED, story

TICKET = f"tk-{uuid.uuid4().hex[:8]}"
EVENTS = story(TICKET, datetime.now(UTC), "110105001001", answers=SATISFIED, excluded=True)


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, Seal]]:
    data_dir: Path = tmp_path_factory.mktemp("ledger-page")
    put_on_bus(make_bus(Settings(data_dir=data_dir)), *EVENTS)
    cluster = Cluster(embedded_env(data_dir), data_dir)
    cluster.start("search")
    form = {"username": "leader", "password": PASSWORDS["leader"]}
    base = cluster.url("search")
    token = httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as leader:
        chain = f"/api/v1/ledger/tickets/{TICKET}"
        eventually(lambda: len(leader.get(chain).json()["entries"]) == len(EVENTS))
    engine = make_engine(f"sqlite:///{data_dir / 'search.db'}")
    seal = Sealer(ledgers(sessionmaker(engine))).seal(day_of(datetime.now(UTC)))
    engine.dispose()
    assert seal is not None
    yield cluster, seal
    cluster.stop()


def test_the_audit_page_lists_each_sealed_day_with_its_root(
    sealed: tuple[Cluster, Seal], browser: Any
) -> None:
    cluster, seal = sealed
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{cluster.url('search')}/audit")
    page.wait_for_url(re.compile(r"/login"))
    page.fill("#username", "admin")
    page.fill("#password", PASSWORDS["admin"])
    page.press("#password", "Enter")
    page.wait_for_url(re.compile(r"/audit$"))
    row = page.locator(f"#seal-rows tr[data-day='{seal.day.isoformat()}']")
    expect(row.locator("code.root")).to_have_text(seal.root)
    expect(row.locator("td").nth(1)).to_have_text(str(seal.entries))
    expect(page.locator("#seals-title")).to_have_text("账本封存")
    page.locator("#lang-switch").click()
    expect(page.locator("#seals-title")).to_have_text("Ledger seals")

    # The ticket's timeline on the search page: the upheld appeal marked as a correction.
    page.goto(f"{cluster.url('search')}/search")
    page.locator(f"button.hit[data-id='{TICKET}']").click()
    expect(page.locator("#detail ol.timeline li")).to_have_count(len(EVENTS))
    marked = page.locator("#detail ol.timeline li:has(.correction)")
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("data-event", EVENTS[-1].event_id)
    expect(marked.locator(".correction")).to_have_text("correction")
    assert errors == []
    context.close()

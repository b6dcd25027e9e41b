"""Session-wide real peers, started once and stopped by pid at the end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import peers


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[peers.Peer]:
    broker = peers.start_tansu()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[peers.Peer]:
    """A throwaway cluster; `postgres.url.format(db=...)` names a database in it."""
    server = peers.start_postgres(databases=("app",))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def elasticsearch() -> Iterator[peers.Peer]:
    server = peers.start_osmem()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()

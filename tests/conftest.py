"""Session-wide real peers, started once and stopped by pid at the end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import peers

# The test workers take modules in the order collected (scripts/test turns xdist's own
# reordering, most tests first, off): the longest modules go first, so no worker is still
# running a long one when the other has run out of work. Measured with --durations.
LONGEST_FIRST = (
    "tests/reliability/test_redelivery.py",
    "tests/integration/test_api_fuzz_intake.py",
    "tests/integration/test_api_fuzz_dispatch.py",
    "tests/e2e/test_proxy_pages.py",
    "tests/e2e/test_citizen_portal.py",
    "tests/e2e/test_operations_live.py",
    "tests/reliability/test_broker_outage.py",
    "tests/reliability/test_database_outage.py",
    "tests/reliability/test_crash.py",
    "tests/e2e/test_compose_settings_start.py",
    "tests/reliability/test_dead_letters.py",
    "tests/e2e/test_vocabulary_pages.py",
    "tests/e2e/test_docs_commands.py",
    "tests/e2e/test_knowledge_page.py",
    "tests/e2e/test_call_flow.py",
    "tests/e2e/test_console_suggestions.py",
    "tests/e2e/test_sign_out_pages.py",
    "tests/contract/test_bus.py",
    "tests/e2e/test_appeal_pages.py",
    "tests/integration/test_consumer_readiness.py",
    "tests/e2e/test_idempotent_pages.py",
    "tests/e2e/test_rules_page.py",
    "tests/integration/test_api_fuzz_search.py",
    "tests/e2e/test_feedback_flow.py",
    "tests/integration/test_search_rebuild.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {module: i for i, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


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

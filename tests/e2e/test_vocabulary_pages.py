"""The vocabulary's labels on two services' pages in real Chromium: a status and an urgency
read in Chinese first and in English after the language switch, with the words
proto/vocabulary.py gives them, and the role menu and tabs come from the page kit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from proto.vocabulary import label
from tests.support.harness import PASSWORDS, Cluster, call_body, embedded_env, eventually


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("vocabulary-pages")
    cluster = Cluster(embedded_env(data_dir), data_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def ticket(platform: Cluster) -> dict[str, Any]:
    """An urgent call logged by agent1 and dispatched to a department."""
    with platform.client("intake", "agent1") as intake:
        created = intake.post("/api/v1/calls", json=call_body(urgency="urgent"))
        assert created.status_code == 201, created.text
        ticket: dict[str, Any] = created.json()
        eventually(
            lambda: intake.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "dispatched",
            60,
        )
    with platform.client("search", "dispatcher") as search:
        eventually(
            lambda: search.get("/api/v1/search", params={"q": ticket["number"]}).json()["total"],
            60,
        )
    return ticket


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    yield context.new_page()
    context.close()


def sign_in(page: Any, platform: Cluster, service: str, username: str, path: str) -> None:
    page.goto(f"{platform.url(service)}/login?next={path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{path}")
    page.wait_for_selector("#who:not(:empty)")


def test_the_console_names_a_status_and_an_urgency_in_both_languages(
    platform: Cluster, ticket: dict[str, Any], page: Any
) -> None:
    sign_in(page, platform, "intake", "agent1", "/console")
    badge = page.locator(f"#recent tr[data-ticket='{ticket['id']}'] [data-status]")
    complex_ = page.locator("#urgency option[value='complex']")
    expect(badge).to_have_text(label("status", "dispatched"))
    expect(complex_).to_have_text("疑难复杂")

    page.click("#lang-switch")
    expect(badge).to_have_text(label("status", "dispatched", "en"))
    expect(badge).to_have_text("Dispatched")
    expect(complex_).to_have_text(label("urgency", "complex", "en"))
    expect(page.locator("header nav.menu a[aria-current='page']")).to_have_text("Call intake")


def test_the_search_page_names_a_status_and_an_urgency_in_both_languages(
    platform: Cluster, ticket: dict[str, Any], page: Any
) -> None:
    sign_in(page, platform, "search", "dispatcher", "/search")
    hit = page.locator(f"ol.hits li:has(.number:text-is('{ticket['number']}'))")
    expect(hit.locator(".badge").first).to_have_text(label("status", "dispatched"))
    expect(hit.locator(".badge.warn")).to_have_text("紧急")
    expect(page.locator("nav.tabs a")).to_have_text(
        ["工单检索", "领导驾驶舱", "每月一题", "月度报告"]
    )

    page.click("#lang-switch")
    expect(hit.locator(".badge").first).to_have_text("Dispatched")
    expect(hit.locator(".badge.warn")).to_have_text(label("urgency", "urgent", "en"))
    expect(page.locator("nav.tabs a")).to_have_text(
        ["Ticket search", "Leaders' dashboard", "Monthly themes", "Monthly report"]
    )

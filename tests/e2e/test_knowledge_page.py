"""The knowledge base page in real Chromium against a running intake: an admin changes an
entry's answer and the agent's console offers the new text; the admin ends the entry's
validity and the console no longer offers it; the version diff shows both changes, and each
went out as an audit event. A dispatcher reads the same page without editing controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from services.intake.adapters.orm import metadata
from tests.support.admin_pages import audits, open_page
from tests.support.harness import ROOT, Cluster, embedded_env

ARTIFACTS = ROOT / "test-artifacts"
TITLE = "社保卡丢失如何挂失补办"
NEW_TEXT = "也可在“北京通”App 一键挂失，补卡进度短信通知。"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("knowledge-page")
    cluster = Cluster(embedded_env(data_dir), data_dir)
    try:
        cluster.start("intake")
        yield cluster
    finally:
        cluster.stop()


def offered(console: Any, query: str) -> Any:
    """The console's knowledge list after asking it `query` afresh."""
    console.fill("#kb-q", "")
    console.fill("#kb-q", query)
    return console.locator("#kb-list")


def test_an_admin_edits_an_entry_the_console_follows_and_the_diff_shows_it(
    browser: Any, service: Cluster
) -> None:
    admin = open_page(browser, service, "intake", "admin", "/knowledge")
    admin.locator("body[data-ready='true']").wait_for()
    admin.fill("#q", "社保卡")
    admin.get_by_role("button", name="搜索", exact=True).click()
    admin.locator("#entries tbody tr", has_text=TITLE).click()
    form = admin.locator("#edit-form")
    expect(form.locator("#edit-heading")).to_contain_text("第 1 版")
    answer = admin.input_value("#answer")
    admin.fill("#answer", f"{answer}\n{NEW_TEXT}")
    admin.get_by_role("button", name="保存", exact=True).click()
    expect(admin.locator("#saved")).to_contain_text("第 2 版")

    console = open_page(browser, service, "intake", "agent1", "/console")
    console.locator("input[name=request_type][value=consultation]").check()
    expect(offered(console, "社保卡丢了")).to_contain_text(NEW_TEXT)

    # The entry ends yesterday (Beijing time): agents are no longer offered it.
    yesterday = datetime.now(UTC) + timedelta(hours=8) - timedelta(days=1)
    admin.fill("#valid_until", yesterday.strftime("%Y-%m-%dT%H:%M"))
    admin.get_by_role("button", name="保存", exact=True).click()
    expect(admin.locator("#saved")).to_contain_text("第 3 版")
    expect(admin.locator("#read-state")).to_have_text("已过期")
    expect(offered(console, "社保卡丢了")).not_to_contain_text(TITLE)
    expect(console.locator("#kb-list")).not_to_contain_text(NEW_TEXT)
    assert console.errors == []
    console.context.close()

    admin.select_option("#from-version", "1")
    admin.select_option("#to-version", "3")
    admin.get_by_role("button", name="比较").click()
    diff = admin.locator("#diff table.diff")
    expect(diff.locator("tr[data-field='answer'] .diff-after")).to_contain_text(NEW_TEXT)
    expect(diff.locator("tr[data-field='valid_until']")).to_be_visible()
    expect(diff.locator("tr[data-field='title']")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    admin.screenshot(path=str(ARTIFACTS / "intake-knowledge.png"), full_page=True)
    assert admin.errors == []
    admin.context.close()

    changes = [
        a for a in audits(service, "intake", metadata, "knowledge") if a["key"] == "kb-sbk-bb"
    ]
    assert [(a["action"], a["version"], a["by"]) for a in changes] == [
        ("change", 2, "admin"),
        ("change", 3, "admin"),
    ]
    assert (
        NEW_TEXT in changes[0]["after"]["answer"] and NEW_TEXT not in changes[0]["before"]["answer"]
    )
    assert changes[1]["before"]["valid_until"] is None and changes[1]["after"]["valid_until"]


def test_a_dispatcher_reads_without_editing_controls(browser: Any, service: Cluster) -> None:
    page = open_page(browser, service, "intake", "dispatcher", "/knowledge")
    page.locator("body[data-ready='true']").wait_for()
    assert page.locator("#readonly-note").is_visible()
    assert page.locator("#new-entry").is_hidden()
    page.locator("#entries tbody tr", has_text="灵活就业").click()
    page.locator("#reading").wait_for()
    assert page.locator("#edit-form").is_hidden()
    expect(page.locator("#versions tbody tr")).to_have_count(1)
    href = page.locator("#history-link").get_attribute("href") or ""
    assert href.endswith("/audit?kind=knowledge&key=kb-yl-jf")
    assert page.errors == []
    page.context.close()

"""The agent's console in real Chromium against the real platform (embedded profile):
log a call, see dispatch's decision arrive, attach a second call as a duplicate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.harness import ROOT, Cluster, embedded_env

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("console")
    cluster = Cluster(embedded_env(data_dir), data_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()  # also when start-up failed half-way: no service left running


def _signed_in(browser: Any, platform: Cluster, user: str, password: str, page_path: str) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{platform.url('intake')}/login?next={page_path}")
    page.fill("#username", user)
    page.fill("#password", password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{page_path}")
    # The console focuses the phone field once the header knows who is signed in: typing
    # before that would lose the focus half-way on a slow machine.
    page.wait_for_selector("#who:not(:empty)")
    return page


def _fill(page: Any, description: str) -> None:
    page.fill("#caller_phone", "13912345678")
    page.fill("#category", "zyrm")
    page.wait_for_selector("#category-list li[role=option]")
    page.keyboard.press("Enter")
    page.type("#area", "科源")
    page.wait_for_selector("#area-list li[role=option]")
    page.keyboard.press("Enter")
    page.fill("#address", "科源社区8号楼")
    page.fill("#description", description)


def test_log_a_call_see_it_dispatched_and_attach_a_duplicate(
    browser: Any, platform: Cluster
) -> None:
    page = _signed_in(browser, platform, "agent2", "agent2pass", "/console")
    _fill(page, "科源社区8号楼旁工地夜间施工噪音扰民，持续到凌晨两点")
    assert page.locator("#category-picked").inner_text().endswith("（010101）")
    page.keyboard.press("Control+Enter")
    done = page.locator("#done strong")
    done.wait_for()
    number = done.inner_text()
    row = page.locator(f"#recent tr:has(td.num:text-is('{number}'))")
    row.locator("[data-status='dispatched']").wait_for(timeout=30_000)
    assert "中关村街道" in row.inner_text()
    assert "139****5678" in row.inner_text()

    _fill(page, "科源社区夜里工地施工太吵")
    page.locator(".attach-btn").first.wait_for()
    page.keyboard.press("Alt+d")
    page.keyboard.press("Enter")
    assert number in page.locator("#attach-text").inner_text()
    page.keyboard.press("Control+Enter")
    page.wait_for_function(
        "n => document.querySelector('#done')?.textContent.includes('合并')", arg=number
    )
    rows = page.locator(f"#recent tbody tr:has(td.num:text-is('{number}'))")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("td").nth(5)).to_have_text("2")

    page.click("#lang-switch")
    assert page.locator("#form-heading").inner_text() == "Log a call"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "intake-console.png"), full_page=True)
    page.click("#lang-switch")
    page.close()


def test_the_sms_outbox_page_is_for_admins(browser: Any, platform: Cluster) -> None:
    page = _signed_in(browser, platform, "admin", "adminpass", "/sms")
    page.locator("#outbox tbody tr").first.wait_for()
    assert page.locator("h2#sms-heading").inner_text() == "短信发件箱"
    page.screenshot(path=str(ARTIFACTS / "intake-sms.png"), full_page=True)
    page.close()


def test_typing_a_paraphrase_offers_the_open_ticket_said_in_other_words(
    browser: Any, platform: Cluster
) -> None:
    page = _signed_in(browser, platform, "agent2", "agent2pass", "/console")
    said = "科春社区人行道上乱停了一堆共享单车，推轮椅都走不了"
    body = {
        "channel": "phone",
        "request_type": "complaint",
        "category_code": "020101",
        "area_code": "110108001002",
        "urgency": "general",
        "description": said,
    }
    ticket = page.evaluate("b => Hotline.once('/api/v1/calls', { body: b })", body)
    _fill(page, "共享单车堆在人行道上，轮椅过不去")
    item = page.locator(
        f"#dup-list li[data-kind=same_meaning]:has(.num:text-is('{ticket['number']}'))"
    )
    expect(item.locator(".dup-why mark", has_text="共享单车")).to_have_count(1)
    expect(item.locator(".dup-text mark", has_text="共享单车")).to_have_count(1)
    expect(item.locator(".reason").first).to_contain_text("意思相近")
    page.close()

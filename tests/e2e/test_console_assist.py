"""The console's help while the agent types, in real Chromium against a running intake: a
gas smell in the description shows an urgency cue that one keystroke accepts and the call is
logged urgent; the description brings up the knowledge entry it is about and one click
answers the call with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.admin_pages import open_page
from tests.support.harness import ROOT, Cluster, embedded_env

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("console-assist")
    cluster = Cluster(embedded_env(data_dir), data_dir)
    try:
        cluster.start("intake")
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def console(browser: Any, service: Cluster) -> Iterator[Any]:
    page = open_page(browser, service, "intake", "agent1", "/console")
    yield page
    assert page.errors == []
    page.context.close()


def _place(page: Any) -> None:
    page.fill("#caller_phone", "13912345678")
    page.fill("#category", "zyrm")
    page.wait_for_selector("#category-list li[role=option]")
    page.keyboard.press("Enter")
    page.type("#area", "科源")
    page.wait_for_selector("#area-list li[role=option]")
    page.keyboard.press("Enter")
    page.fill("#address", "科源社区8号楼")


def test_a_gas_smell_shows_a_cue_one_key_accepts_and_the_call_is_logged_urgent(
    console: Any,
) -> None:
    _place(console)
    console.click("#description")
    console.keyboard.type("楼道里有很重的煤气味，邻居家没人")
    cue = console.locator("#urgency-cue")
    expect(cue).to_be_visible()
    expect(cue).to_contain_text("煤气味")
    expect(console.locator("#follow")).to_be_hidden()  # nothing in the knowledge base is about it
    expect(console.locator("#urgency")).to_have_value("general")  # the agent decides
    console.keyboard.press("Alt+u")
    expect(console.locator("#urgency")).to_have_value("urgent")
    expect(cue).to_be_hidden()
    console.keyboard.press("Control+Enter")
    number = console.locator("#done strong")
    number.wait_for()
    logged = console.evaluate(
        "async () => (await (await fetch('api/v1/calls?limit=1')).json())[0].ticket"
    )
    assert (logged["number"], logged["urgency"]) == (number.inner_text(), "urgent")
    assert "null" not in console.locator("#done").inner_text()
    expect(cue).to_be_hidden()  # a new call starts without the last one's cue


def test_the_description_brings_up_knowledge_and_one_click_answers_with_it(
    console: Any,
) -> None:
    console.click("#description")
    console.keyboard.type(
        "您好，我那张社保卡前两天丢了，想问问怎么挂失，去哪里补办，家里还有点煤气味"
    )
    offered = console.locator("#follow-list li", has_text="社保卡丢失如何挂失补办")
    expect(offered).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    console.screenshot(path=str(ARTIFACTS / "console-assist.png"), full_page=True)
    offered.locator("button.follow-answer").click()
    expect(console.locator("input[name=request_type][value=consultation]")).to_be_checked()
    expect(console.locator("#answer")).to_have_value(offered.locator("p.answer").inner_text())
    expect(console.locator("#follow")).to_be_hidden()  # the knowledge box took over

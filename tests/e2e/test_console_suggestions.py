"""The category suggested in the console as the agent types, in real Chromium against a
running intake with no model trained (the cold start): the top three appear under the
category field with their confidence, Alt+1 picks the first as the category box would while
the agent keeps typing, and the call is logged with that category. Beside each, once a place
is chosen, the department dispatch (on its own port: another origin) would route it to there,
following the place as it changes."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.admin_pages import open_page
from tests.support.harness import Cluster, embedded_env, eventually

PERCENT = re.compile(r"^\d{1,3}%$")
CHOSEN = re.compile(r"\bchosen\b")
KEYUAN = "110108001001"  # 科源社区, 中关村街道 (海淀区)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("console-suggestions")
    cluster = Cluster(embedded_env(data_dir), data_dir)
    try:
        cluster.start("intake", "dispatch")
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def console(browser: Any, service: Cluster) -> Iterator[Any]:
    page = open_page(browser, service, "intake", "agent1", "/console")
    yield page
    assert page.errors == []
    page.context.close()


def test_suggestions_follow_the_description_alt1_picks_one_and_the_call_carries_it(
    console: Any, service: Cluster
) -> None:
    console.fill("#caller_phone", "13912345678")
    console.type("#area", "科源")
    console.wait_for_selector("#area-list li[role=option]")
    console.keyboard.press("Enter")
    console.fill("#address", "科源社区8号楼")
    console.click("#description")
    console.keyboard.type("家里停水了，从早上到现在")
    box = console.locator("#suggestions")
    # The first answer builds the cold-start model from the catalogue: allow for it.
    expect(box.locator("button.suggestion")).to_have_count(3, timeout=20_000)
    first = box.locator("button.suggestion").first
    expect(first).to_have_attribute("data-code", "020101")
    expect(first).to_contain_text("停水")
    expect(first.locator(".pct")).to_have_text(PERCENT)
    # The place was chosen first: beside it, where a rule sends water cuts wherever they are.
    expect(first.locator(".department")).to_have_text(routed_to(service, KEYUAN, "020101"))
    expect(console.locator("#category_code")).to_have_value("")  # nothing picked for the agent
    console.keyboard.press("Alt+1")
    expect(console.locator("#category_code")).to_have_value("020101")
    expect(console.locator("#category")).to_have_value("停水")
    expect(console.locator("#category-picked")).to_contain_text("公共服务 › 供水 › 停水")
    expect(console.locator("#description")).to_be_focused()  # typing goes on
    console.keyboard.type("，水龙头一滴都没有")
    expect(first).to_have_class(CHOSEN)
    console.keyboard.press("Control+Enter")
    number = console.locator("#done strong")
    number.wait_for()
    logged = console.evaluate(
        "async () => (await (await fetch('api/v1/calls?limit=1')).json())[0].ticket"
    )
    assert (logged["number"], logged["category_code"]) == (number.inner_text(), "020101")
    assert logged["description"].endswith("水龙头一滴都没有")
    expect(box).to_be_hidden()  # a new call starts without the last one's suggestions


@functools.cache
def routed_to(service: Cluster, area: str, category: str) -> str:
    """What dispatch's router says for the category at the place, as the console shows it."""
    with service.client("dispatch", "dispatcher") as dispatch:
        found = dispatch.post("/api/v1/routing/preview", json={"category": category, "area": area})
    found.raise_for_status()
    answer = found.json()
    return "→ 由派单员分派" if answer["outcome"] == "review" else f"→ {answer['lead']['name']}"


def pick_place(console: Any, typed: str) -> str:
    console.fill("#area", "")
    console.type("#area", typed)
    console.wait_for_selector("#area-list li[role=option]")
    console.keyboard.press("Enter")
    expect(console.locator("#area_code")).not_to_have_value("")
    return str(console.locator("#area_code").input_value())


def departments_as_routed(console: Any, service: Cluster, area: str) -> list[str] | None:
    """The departments beside the three suggestions once each is the router's for its
    category at `area` (None until then: the suggestions may still be settling)."""
    shown = console.locator("#suggestions button.suggestion").evaluate_all(
        "(bs) => bs.map((b) => [b.dataset.code, b.querySelector('.department')?.textContent])"
    )
    if len(shown) != 3 or any(text != routed_to(service, area, code) for code, text in shown):
        return None
    return [text for _, text in shown]


def test_beside_each_suggestion_the_department_dispatch_routes_it_to_at_the_chosen_place(
    console: Any, service: Cluster
) -> None:
    console.click("#description")
    console.keyboard.type("小区门口的垃圾堆了好几天没人清运，臭得不行")
    box = console.locator("#suggestions")
    expect(box.locator("button.suggestion")).to_have_count(3, timeout=20_000)
    expect(box.locator(".department")).to_have_count(0)  # no place yet: no department
    seen = {}
    for typed in ("科源", "永安里"):
        area = pick_place(console, typed)
        seen[typed] = eventually(
            functools.partial(departments_as_routed, console, service, area), 10
        )
    # The place decides: a territorial category goes to each place's own street office.
    assert seen["科源"] != seen["永安里"], seen
    console.fill("#area", "")  # the place is cleared: so are the departments
    expect(box.locator(".department")).to_have_count(0)
    asked = "**/api/v1/routing/departments"
    console.route(asked, lambda route: route.abort())
    with console.expect_event("requestfailed"):  # dispatch away: no department, no fuss
        pick_place(console, "科源")
    expect(box.locator("button.suggestion")).to_have_count(3)
    expect(box.locator(".department")).to_have_count(0)
    console.unroute(asked)
    area = pick_place(console, "永安里")  # and the next place asks again
    assert eventually(functools.partial(departments_as_routed, console, service, area), 10)

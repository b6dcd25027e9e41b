"""Pages send one Idempotency-Key per user action, in real Chromium against the real intake
process: the agent's call is stored, its answer lost to a cut connection, and the page's
retry with the same key shows the call once, on a browser without crypto.randomUUID (as on
a plain-http intranet origin)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.harness import Cluster, embedded_env

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("keys-pages")
    cluster = Cluster(embedded_env(data_dir), data_dir)
    try:
        cluster.start("intake")
        yield cluster
    finally:
        cluster.stop()


def _console(browser: Any, intake: Cluster) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # What a plain-http origin lacks; the page must not need it.
    page.add_init_script("delete Crypto.prototype.randomUUID")
    page.goto(f"{intake.url('intake')}/login?next=/console")
    page.fill("#username", "agent1")
    page.fill("#password", "agent1pass")
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")
    return page


def test_a_call_whose_answer_was_cut_off_is_logged_once(browser: Any, intake: Cluster) -> None:
    page = _console(browser, intake)
    assert page.evaluate("typeof crypto.randomUUID") == "undefined"
    keys: list[str] = []

    def cut_first_answer(route: Any) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the server stores the call...
            route.abort("connectionreset")  # ...and its answer never arrives
        else:
            route.continue_()

    page.route("**/api/v1/calls", cut_first_answer)
    words = f"科源社区路灯不亮 {uuid.uuid4().hex[:6]}"
    page.fill("#caller_phone", "13912345678")
    page.fill("#category", "zyrm")
    page.wait_for_selector("#category-list li[role=option]")
    page.keyboard.press("Enter")
    page.type("#area", "科源")
    page.wait_for_selector("#area-list li[role=option]")
    page.keyboard.press("Enter")
    page.fill("#description", words)
    page.keyboard.press("Control+Enter")
    page.locator("#done strong").wait_for()

    assert len(keys) == 2 and keys[0] == keys[1] and UUID4.match(keys[0]), keys
    with intake.client("intake", "agent1") as client:
        rows = client.get("/api/v1/tickets", params={"limit": 200}).json()
    assert [r["number"] for r in rows if r["description"] == words] == [
        page.locator("#done strong").inner_text()
    ]


def test_each_action_gets_a_new_key(browser: Any, intake: Cluster) -> None:
    page = _console(browser, intake)
    keys = page.evaluate("Array.from({ length: 50 }, () => Hotline.newKey())")
    assert len(set(keys)) == 50
    assert all(UUID4.match(k) for k in keys)

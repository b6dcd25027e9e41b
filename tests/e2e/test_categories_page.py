"""The category catalogue page in real Chromium against a running intake: an admin adds a
leaf, an agent logs a call with it in the console, the version diff shows it, and the
change went out as an audit event; a dispatcher reads the same page without editing
controls and finds a leaf's time limits on dispatch's page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.common.db import make_engine
from services.common.messaging_tables import outbox_table
from services.common.settings import Settings
from services.intake.adapters.orm import metadata
from tests.support.harness import PASSWORDS, ROOT, Cluster, embedded_env

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("categories-page")
    cluster = Cluster(embedded_env(data_dir), data_dir)
    try:
        cluster.start("intake")
        yield cluster
    finally:
        cluster.stop()


def audits(service: Cluster) -> list[dict[str, Any]]:
    settings = Settings(data_dir=Path(service.env["HOTLINE_DATA_DIR"]))
    engine = make_engine(settings.database_url_for("intake"))
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
        if e["type"] == "ConfigurationChanged" and e["payload"]["kind"] == "category"
    ]


def open_page(browser: Any, service: Cluster, user: str, path: str) -> Any:
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(f"{service.url('intake')}/login?next={path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"{path}$"))
    page.wait_for_selector("#who:not(:empty)")
    return page


def test_an_admin_adds_a_leaf_an_agent_logs_a_call_with_it_and_the_diff_shows_it(
    browser: Any, service: Cluster
) -> None:
    page = open_page(browser, service, "admin", "/categories")
    page.locator("body[data-ready='true']").wait_for()
    page.fill("#search", "市容")
    page.locator("#tree .pick[data-code='0101']").click()
    editing = page.locator("#editing")
    editing.wait_for()
    assert page.input_value("#child-code") == "010111"
    page.fill("#child-name", "共享单车乱停放")
    page.fill("#child-keywords", "单车, 共享单车")
    page.fill("#child-code", "010101")
    page.get_by_role("button", name="新增", exact=True).click()
    page.locator("#child-form .error[data-for='code']", has_text="已被使用").wait_for()
    page.fill("#child-code", "010111")
    page.get_by_role("button", name="新增", exact=True).click()
    page.locator("#saved", has_text="已生效").wait_for()
    page.locator("#tree .pick[data-code='010111'][aria-current='true']").wait_for()
    assert page.locator("#detail-path").inner_text() == "城乡建设 / 市容环境 / 共享单车乱停放"
    history = page.locator("#history-link").get_attribute("href") or ""
    assert history.endswith("/audit?kind=category&key=010111")

    [made] = [a for a in audits(service) if a["action"] == "create"]
    assert (made["key"], made["after"]["name"], made["by"]) == ("010111", "共享单车乱停放", "admin")

    agent = open_page(browser, service, "agent2", "/console")
    agent.fill("#caller_phone", "13912345678")
    agent.fill("#category", "gxdc")
    agent.wait_for_selector("#category-list li[role=option]")
    agent.keyboard.press("Enter")
    assert agent.locator("#category-picked").inner_text().endswith("（010111）")
    agent.type("#area", "科源")
    agent.wait_for_selector("#area-list li[role=option]")
    agent.keyboard.press("Enter")
    agent.fill("#address", "科源社区8号楼")
    agent.fill("#description", "共享单车堆在小区门口挡住消防通道")
    agent.keyboard.press("Control+Enter")
    agent.locator("#done strong").wait_for()
    assert agent.errors == []
    agent.context.close()

    page.reload()
    page.locator("body[data-ready='true']").wait_for()
    page.select_option("#from-version", "1")
    page.get_by_role("button", name="比较").click()
    added = page.locator("#diff .diff-added li[data-code='010111']")
    added.wait_for()
    assert "共享单车乱停放" in added.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "intake-categories.png"), full_page=True)
    assert page.errors == []
    page.context.close()


def test_a_dispatcher_reads_the_tree_and_finds_a_leafs_time_limits(
    browser: Any, service: Cluster
) -> None:
    page = open_page(browser, service, "dispatcher", "/categories")
    page.locator("body[data-ready='true']").wait_for()
    assert page.locator("#readonly-note").is_visible()
    page.fill("#search", "zyrm")
    page.locator("#tree .pick[data-code='010101']").click()
    page.locator("#detail-body").wait_for()
    assert page.locator("#editing").is_hidden()
    href = page.locator("#sla-link").get_attribute("href") or ""
    assert href.endswith("/sla?category=010101") and ":" in href  # dispatch's own port
    assert page.locator("#history-link").is_hidden()  # the audit log is for leaders and admins
    assert page.locator("#pending .cancel").count() == 0
    assert page.errors == []
    page.context.close()


def test_an_admin_schedules_a_rename_cancels_it_and_moves_a_leaf(
    browser: Any, service: Cluster
) -> None:
    page = open_page(browser, service, "admin", "/categories")
    page.locator("body[data-ready='true']").wait_for()
    page.on("dialog", lambda dialog: dialog.accept())
    page.fill("#search", "gxdc")
    page.locator("#tree .pick[data-code='010111']").click()
    page.fill("#effective_at", "2099-01-01T08:00")
    page.fill("#rename-name", "共享单车停放")
    page.get_by_role("button", name="保存").click()
    page.locator("#saved", has_text="已安排").wait_for()
    pending = page.locator("#pending tbody tr", has_text="共享单车停放")
    assert "2099" in pending.inner_text()
    pending.locator(".cancel").click()
    pending.wait_for(state="detached")
    assert [a["action"] for a in audits(service)][-2:] == ["schedule", "cancel"]

    page.select_option("#move-parent", "0104")
    page.get_by_role("button", name="移动", exact=True).click()
    page.locator("#saved", has_text="已生效").wait_for()
    moved = page.locator("#tree .pick[aria-current='true']")
    moved.wait_for()
    assert (moved.get_attribute("data-code") or "").startswith("0104")
    assert page.locator("#detail-path").inner_text().endswith("共享单车乱停放")
    page.check("#show-retired")
    old = page.locator("#tree li[data-code='010111']")
    assert "已移至 0104" in old.inner_text()
    assert audits(service)[-1]["action"] == "move"
    assert page.errors == []
    page.context.close()

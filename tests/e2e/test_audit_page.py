"""The audit log page in real Chromium, against the search service running as its own
process on the embedded bus: a routing rule's change with its diff, a phone reveal, the
filters (the address pre-fills them, so other pages link to an object's history)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from proto.audit import ConfigurationChanged, PersonalDataAccessed
from proto.envelope import Envelope
from services.common.bus.factory import make_bus
from services.common.settings import Settings
from tests.support.dispatch import put_on_bus
from tests.support.harness import PASSWORDS, ROOT, Cluster, embedded_env, eventually

ARTIFACTS = ROOT / "test-artifacts"
NOW = datetime.now(UTC)
RULE = {"id": "R12", "category_code": "0301", "department": {"code": "D-JXS", "name": "建外街道"},
        "priority": 10, "tags": ["水务", "供水"], "co": [{"code": "D-SW"}]}  # fmt: skip
# The change: another department, a co-department replaced, a note added, no priority.
CHANGED = {k: v for k, v in RULE.items() if k != "priority"} | {
    "department": {"code": "D-CG", "name": "朝阳区城管委"},
    "co": [{"code": "D-SWJ"}],
    "note": "汛期",
}


def envelopes() -> list[Envelope]:
    rule = ConfigurationChanged(
        kind="routing_rule", key="R12", action="change", version=3, before=RULE, after=CHANGED,
        summary="规则 R12：0301 × 110105 → D-CG", by="admin", at=NOW - timedelta(days=1),
    )  # fmt: skip
    category = ConfigurationChanged(
        kind="category", key="0301", action="create", after={"code": "0301", "name": "供水"},
        summary="新增分类 0301 供水", by="admin", at=NOW - timedelta(hours=5),
    )  # fmt: skip
    reveal = PersonalDataAccessed(
        action="reveal", outcome="revealed", reason="回访核实", ticket_id="tk-1",
        ticket_number="2612030001", by="agent1", at=NOW - timedelta(hours=1),
    )  # fmt: skip
    return [
        Envelope.wrap(rule, producer="dispatch", ticket_id="config:routing_rule"),
        Envelope.wrap(category, producer="intake", ticket_id="config:category"),
        Envelope.wrap(reveal, producer="intake", ticket_id="privacy:reveal"),
    ]


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("audit-page")
    put_on_bus(make_bus(Settings(data_dir=data_dir)), *envelopes())
    cluster = Cluster(embedded_env(data_dir), data_dir)
    cluster.start("search")
    form = {"username": "leader", "password": PASSWORDS["leader"]}
    base = cluster.url("search")
    token = httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as leader:
        eventually(lambda: leader.get("/api/v1/audit").json()["total"] == 3)
    yield cluster
    cluster.stop()


def signed_in(browser: Any, cluster: Cluster, path: str) -> Any:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(f"{cluster.url('search')}{path}")
    page.wait_for_url(re.compile(r"/login"))
    page.fill("#username", "admin")
    page.fill("#password", PASSWORDS["admin"])
    page.press("#password", "Enter")
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    return page


def test_the_audit_page_shows_a_change_with_its_diff_and_a_reveal(
    search: Cluster, browser: Any
) -> None:
    page = signed_in(browser, search, "/audit")
    entries = page.locator("#entries > li")
    expect(entries).to_have_count(3)
    expect(page.locator("#total")).to_have_text("共 3 条记录")
    expect(page.locator("nav.tabs a[aria-current='page']")).to_have_text("审计日志")
    # Newest first: the reveal, the new category, the rule's change.
    reveal, category, rule = entries.nth(0), entries.nth(1), entries.nth(2)
    expect(reveal).to_contain_text("查看号码")
    expect(reveal.locator(".access")).to_have_text("工单 2612030001 · 已显示 · 理由：回访核实")
    expect(reveal.locator("table.diff")).to_have_count(0)
    expect(category.locator("tr.diff-added")).to_have_count(2)
    name = rule.locator("tr[data-field='department.name']")
    expect(name.locator("del")).to_have_text("建外街道")
    expect(name.locator("ins")).to_have_text("朝阳区城管委")
    expect(name.locator(".diff-mark")).to_have_text("修改")
    expect(rule.locator("tr[data-field='note'] .diff-mark")).to_have_text("新增")
    expect(rule.locator("tr[data-field='note'] ins")).to_have_text("汛期")
    expect(rule.locator("tr[data-field='co[0].code'] del")).to_have_text("D-SW")
    expect(rule.locator("tr.diff-changed")).to_have_count(3)  # department code, name; co
    removed = rule.locator("tr.diff-removed[data-field='priority']")
    expect(removed.locator("del")).to_have_text("10")
    expect(removed.locator(".diff-after")).to_have_text("—")
    expect(rule.locator("tr[data-field='tags']")).to_have_count(0)  # unchanged: not listed
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "audit-log.png"), full_page=True)

    page.select_option("#kind", "routing_rule")
    expect(entries).to_have_count(1)
    expect(entries.first).to_have_attribute("data-kind", "routing_rule")
    page.wait_for_url(re.compile(r"/audit\?kind=routing_rule$"))

    page.locator("#lang-switch").click()
    expect(entries.first.locator("thead th").nth(1)).to_have_text("Before")
    expect(entries.first.locator("tr[data-field='note'] .diff-mark")).to_have_text("added")
    assert page.errors == []
    page.context.close()


def test_an_address_with_kind_and_key_prefills_the_filters(search: Cluster, browser: Any) -> None:
    page = signed_in(browser, search, "/audit?kind=category&key=0301")
    expect(page.locator("#kind")).to_have_value("category")
    expect(page.locator("#key")).to_have_value("0301")
    entries = page.locator("#entries > li")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("新增分类 0301 供水")
    page.fill("#q", "供水 不存在的词")
    page.press("#q", "Enter")
    expect(page.locator("#empty")).to_be_visible()
    page.locator("#clear").click()
    expect(entries).to_have_count(3)
    assert page.errors == []
    page.context.close()

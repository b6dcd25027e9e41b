"""The time-limits page in real Chromium against a running dispatch process: an admin
changes a limit, the next ticket's deadline follows it, the page's history shows the change
and its audit event is published; a dispatcher reads the page without editing it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.common.bus.factory import make_bus
from services.common.db import make_engine
from services.common.messaging_tables import outbox_table
from services.common.settings import Settings
from services.dispatch.adapters.orm import metadata
from tests.support.dispatch import envelope, put_on_bus, ticket_created
from tests.support.harness import PASSWORDS, ROOT, Cluster, embedded_env, eventually

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("sla-page")
    cluster = Cluster(embedded_env(data_dir), data_dir)
    cluster.start("dispatch")
    yield cluster
    cluster.stop()


def settings_of(service: Cluster) -> Settings:
    return Settings(data_dir=Path(service.env["HOTLINE_DATA_DIR"]))


def lead(service: Cluster, ticket_id: str) -> dict[str, Any]:
    form = {"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
    base = service.url("dispatch")
    token = httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        found = eventually(
            lambda: client.get("/api/v1/assignments", params={"ticket_id": ticket_id}).json()
        )
    return dict(found[0])


def audits(service: Cluster) -> list[dict[str, Any]]:
    engine = make_engine(settings_of(service).database_url_for("dispatch"))
    try:
        with engine.connect() as connection:
            rows = connection.scalars(select(outbox_table(metadata).c.payload)).all()
    finally:
        engine.dispose()
    events = [json.loads(r) for r in rows]
    return [e["payload"] for e in events if e["type"] == "ConfigurationChanged"]


def open_page(browser: Any, service: Cluster, user: str) -> Any:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(f"{service.url('dispatch')}/sla")
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORDS[user])
    page.get_by_label("密码").press("Enter")
    page.wait_for_url(re.compile(r"/sla$"))
    page.locator("#policies tr[data-name='general']").wait_for()
    return page


def test_an_admin_changes_a_limit_and_the_next_ticket_keeps_it(
    browser: Any, service: Cluster
) -> None:
    page = open_page(browser, service, "admin")
    general = page.locator("#policies tr[data-name='general']")
    assert "4 小时 · 工作时间" in general.locator("td[data-clock='acknowledge']").inner_text()
    assert page.locator("#categories tr[data-code='020101']", has_text="utilities").count() == 1
    general.get_by_role("button", name="修改").click()
    page.get_by_label("签收时限（小时）").fill("5")
    page.get_by_label("签收计时方式").select_option("natural")
    page.get_by_role("button", name="保存").click()
    general.locator("td[data-clock='acknowledge']", has_text="5 小时 · 自然时间").wait_for()
    row = page.locator("#history tr", has_text="政策 general · 修改")
    row.wait_for()
    diff = row.locator("table.diff")
    hours = diff.locator("tr", has_text="acknowledge.hours").inner_text()
    assert re.search(r"4\D+5", hours), hours
    time = diff.locator("tr", has_text="acknowledge.time").inner_text()
    assert "working" in time and "natural" in time
    assert diff.locator("tr", has_text="resolve").count() == 0  # unchanged fields stay out
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dispatch-sla.png"), full_page=True)

    env = envelope(ticket_created(number="2612030001"))
    put_on_bus(make_bus(settings_of(service)), env)
    assignment = lead(service, env.ticket_id)
    dispatched = datetime.fromisoformat(assignment["dispatched_at"])
    acknowledge = assignment["clocks"]["acknowledge"]
    assert acknowledge["basis"] == "natural"
    assert datetime.fromisoformat(acknowledge["due_at"]) == dispatched + timedelta(hours=5)

    [audit] = [a for a in audits(service) if a["key"] == "general"]
    assert (audit["kind"], audit["action"], audit["by"]) == ("sla_policy", "change", "admin")
    assert audit["after"]["acknowledge"] == {"hours": 5.0, "time": "natural"}
    schedule_and_cancel(page)
    page.context.close()
    assert not page.errors, page.errors


def schedule_and_cancel(page: Any) -> None:
    """A change from a later date waits in the pending list until an admin cancels it."""
    page.locator("#policies tr[data-name='urgent']").get_by_role("button", name="修改").click()
    page.get_by_label("办结时限（小时）").fill("12")
    page.locator("#policy-effective").fill("2030-01-02T09:00")
    page.get_by_role("button", name="保存").click()
    pending = page.locator("#pending tbody tr", has_text="urgent")
    pending.wait_for()
    assert "2030" in pending.inner_text()
    urgent = page.locator("#policies tr[data-name='urgent'] td[data-clock='resolve']")
    assert "24 小时" in urgent.inner_text()  # not before its date
    page.once("dialog", lambda dialog: dialog.accept())
    pending.get_by_role("button", name="撤销").click()
    page.locator("#pending tbody tr", has_text="暂无数据").wait_for()


def test_a_dispatcher_reads_the_limits_without_editing_them(browser: Any, service: Cluster) -> None:
    page = open_page(browser, service, "dispatcher")
    page.locator("#history tbody tr").first.wait_for()
    assert page.locator("#policy-editor").is_hidden()
    assert page.locator("#category-form").is_hidden()
    assert page.locator("#policies button").count() == 0
    page.get_by_role("button", name="English").click()
    page.locator("h2", has_text="Time-limit policies").wait_for()
    assert "Time limits" in page.locator("nav.tabs").inner_text()
    page.context.close()
    assert not page.errors, page.errors


def test_a_category_link_opens_the_page_on_that_category_ready_to_set(
    browser: Any, service: Cluster
) -> None:
    """The category tree links each leaf here (?category=<code>); an admin finds it marked
    and the form set to it, with the urgency it may be limited to."""
    page = open_page(browser, service, "admin")
    page.goto(f"{service.url('dispatch')}/sla?category=0101")
    page.locator("#categories tr.chosen[data-code='0101']").wait_for()
    assert page.locator("#category-prefix").input_value() == "0101"
    options = page.locator("#category-urgency option").all_inner_texts()
    assert options[0] == "各等级（紧急除外）" and "紧急" in options and len(options) == 5
    page.context.close()
    assert not page.errors, page.errors

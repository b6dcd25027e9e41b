"""The routing-rules page in real Chromium against a running dispatch process: an admin
adds a rule, previews it, saves it (after a warning when it would be shadowed), the next
ticket is routed by it, the history and the audit events show the change; a dispatcher
previews on the same page without editing controls."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
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
STREET = "110105001001"  # 永安里社区, 建外街道, 朝阳区


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("rules-page")
    cluster = Cluster(embedded_env(data_dir), data_dir)
    cluster.start("dispatch")
    yield cluster
    cluster.stop()


def settings_of(service: Cluster) -> Settings:
    return Settings(data_dir=Path(service.env["HOTLINE_DATA_DIR"]))


def assignments(service: Cluster, ticket_id: str) -> list[dict[str, Any]]:
    form = {"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
    base = service.url("dispatch")
    token = httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        found = eventually(
            lambda: client.get("/api/v1/assignments", params={"ticket_id": ticket_id}).json()
        )
    return list(found)


def audits(service: Cluster, key: str) -> list[dict[str, Any]]:
    engine = make_engine(settings_of(service).database_url_for("dispatch"))
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
        if e["type"] == "ConfigurationChanged"
        and e["payload"]["kind"] == "routing_rule"
        and e["payload"]["key"] == key
    ]


def open_page(browser: Any, service: Cluster, user: str) -> Any:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(f"{service.url('dispatch')}/rules")
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORDS[user])
    page.get_by_label("密码").press("Enter")
    page.wait_for_url(re.compile(r"/rules$"))
    page.locator("#rules tr[data-id='R-WATER']").wait_for()
    return page


def test_an_admin_adds_previews_and_saves_a_rule_that_routes_the_next_ticket(
    browser: Any, service: Cluster
) -> None:
    page = open_page(browser, service, "admin")
    assert "北京市自来水集团" in page.locator("#rules tr[data-id='R-WATER']").inner_text()
    page.locator("#problems", has_text="没有被遮蔽").wait_for()
    page.get_by_label("分类", exact=True).fill("010103")
    page.get_by_label("地址编码（社区、街乡镇或区）").fill(STREET)
    page.get_by_role("button", name="预览", exact=True).click()
    page.locator("#preview-result", has_text="建外街道办事处").wait_for()
    assert "依据属地" in page.locator("#preview-result").inner_text()
    assert page.locator("#preview .error[data-for='_']").inner_text() == ""

    page.get_by_role("button", name="新增规则").click()
    editor = page.locator("#editor")
    editor.get_by_label("规则").fill("R-BUILD-CY")
    editor.get_by_label("分类（前缀，留空不限）").fill("010103")
    editor.get_by_label("区域（区或街乡镇，留空不限）").fill("110105")
    editor.get_by_label("牵头单位").fill("U-NOPE")
    editor.get_by_label("协办单位（编码，用逗号分隔）").fill("G-CY")
    editor.get_by_label("位置").select_option("0")
    editor.get_by_role("button", name="保存").click()
    editor.locator(".error[data-for='department']", has_text="U-NOPE").wait_for()
    editor.get_by_label("牵头单位").fill("B-URBAN")
    editor.get_by_role("button", name="按修改后的规则预览").click()
    draft = page.locator("#draft-preview")
    draft.locator("[data-outcome='rule']", has_text="北京市城市管理委员会").wait_for()
    assert "R-BUILD-CY" in draft.inner_text() and "朝阳区人民政府" in draft.inner_text()
    editor.get_by_role("button", name="保存").click()
    page.locator("#rules tbody tr").first.and_(page.locator("[data-id='R-BUILD-CY']")).wait_for()
    assert editor.is_hidden()
    history = page.locator("#history li[data-rule='R-BUILD-CY'][data-action='create']")
    history.wait_for()
    assert "B-URBAN" in history.inner_text()

    env = envelope(ticket_created(number="2612030101", category_code="010103"))
    put_on_bus(make_bus(settings_of(service)), env)
    routed = {
        (a["department_code"], a["role"], a["rule"]) for a in assignments(service, env.ticket_id)
    }
    assert routed == {("B-URBAN", "lead", "rule:R-BUILD-CY"), ("G-CY", "co", "rule:R-BUILD-CY")}
    [created] = audits(service, "R-BUILD-CY")
    assert (created["action"], created["by"], created["after"]["co"]) == (
        "create",
        "admin",
        ["G-CY"],
    )

    warn_then_save_a_shadowed_rule(page)
    schedule_and_cancel_a_move(page, service)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dispatch-rules.png"), full_page=True)
    page.context.close()
    assert not page.errors, page.errors


def warn_then_save_a_shadowed_rule(page: Any) -> None:
    """A rule the one above already covers is saved only after the warning; it is then
    marked on the list, and deleting it clears the problem."""
    page.get_by_role("button", name="新增规则").click()
    editor = page.locator("#editor")
    editor.get_by_label("规则").fill("R-LATE")
    editor.get_by_label("分类（前缀，留空不限）").fill("010103")
    editor.get_by_label("区域（区或街乡镇，留空不限）").fill("110105001")
    editor.get_by_label("牵头单位").fill("D-JXS")
    editor.get_by_role("button", name="保存").click()
    page.locator("#draft-problems", has_text="R-BUILD-CY").wait_for()
    assert page.locator("#rules tr[data-id='R-LATE']").count() == 0
    editor.get_by_role("button", name="仍然保存").click()
    page.locator("#rules tr.problem[data-id='R-LATE']").wait_for()
    page.locator("#problems li[data-rule='R-LATE'][data-kind='shadowed']").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="删除 R-LATE").click()
    page.locator("#rules tr[data-id='R-LATE']").wait_for(state="detached")
    page.locator("#problems", has_text="没有被遮蔽").wait_for()


def schedule_and_cancel_a_move(page: Any, service: Cluster) -> None:
    """A move from a later date waits in the pending list until an admin cancels it."""
    page.get_by_label("生效时间（留空即时生效）").fill("2030-01-02T09:00")
    page.get_by_role("button", name="下移 R-WATER").click()
    pending = page.locator("#pending li", has_text="R-WATER")
    pending.wait_for()
    assert "2030" in pending.inner_text() and "调整顺序" in pending.inner_text()
    assert page.locator("#rules tbody tr").nth(1).get_attribute("data-id") == "R-WATER"
    pending.get_by_role("button", name="撤销").click()
    pending.wait_for(state="detached")
    actions = [a["action"] for a in audits(service, "R-WATER")]
    assert actions == ["schedule", "cancel"]


def test_a_dispatcher_previews_but_does_not_edit(browser: Any, service: Cluster) -> None:
    page = open_page(browser, service, "dispatcher")
    page.get_by_text("只读：派单规则由管理员维护。").wait_for()
    assert page.get_by_role("button", name="新增规则").is_hidden()
    assert page.locator("#rules button").count() == 0
    page.get_by_label("分类", exact=True).fill("020101")
    page.get_by_role("button", name="预览", exact=True).click()
    page.locator("#preview-result", has_text="R-WATER").wait_for()
    page.get_by_role("button", name="English").click()
    page.locator("#preview-heading", has_text="Where would this call go?").wait_for()
    page.context.close()
    assert not page.errors, page.errors

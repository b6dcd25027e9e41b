"""The departments and holiday calendar pages in real Chromium against a running dispatch
process fed through the real (embedded) bus: an admin merges a department into another after
seeing what follows, the other's staff find the open work on their workbench and the page's
history shows the merge (and its audit event is published); an admin imports a year from a
file and sees its holidays; a dispatcher reads both pages without editing controls."""

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


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("department-pages")
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
        params = {"ticket_id": ticket_id, "status": "all"}
        return list(eventually(lambda: client.get("/api/v1/assignments", params=params).json()))


def audits(service: Cluster, kind: str) -> list[dict[str, Any]]:
    engine = make_engine(settings_of(service).database_url_for("dispatch"))
    try:
        with engine.connect() as connection:
            rows = connection.scalars(select(outbox_table(metadata).c.payload)).all()
    finally:
        engine.dispose()
    events = [json.loads(r)["payload"] for r in rows if '"ConfigurationChanged"' in r]
    return [e for e in events if e["kind"] == kind]


def open_page(browser: Any, service: Cluster, user: str, path: str) -> Any:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(f"{service.url('dispatch')}{path}")
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORDS[user])
    page.get_by_label("密码").press("Enter")
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    return page


def close(page: Any) -> None:
    errors = page.errors
    page.context.close()
    assert not errors, errors


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dispatch-{name}.png"), full_page=True)


def test_an_admin_merges_a_department_and_the_work_follows(browser: Any, service: Cluster) -> None:
    # A ticket in 中关村街道: D-ZGC must act on it.
    env = envelope(ticket_created(number="2612030001", area_code="110108001001",
                                  area_path=["海淀区", "中关村街道", "中关村社区"]))  # fmt: skip
    put_on_bus(make_bus(settings_of(service)), env)
    assert [a["department_code"] for a in assignments(service, env.ticket_id)] == ["D-ZGC"]

    page = open_page(browser, service, "admin", "/departments")
    page.get_by_label("筛选").fill("D-ZGC")
    row = page.locator("#departments tr[data-code='D-ZGC']")
    row.get_by_role("button", name="合并到…").click()
    merger = page.locator("#merger")
    merger.get_by_label("并入到（B）").fill("D-JXS")
    merger.get_by_role("button", name="查看影响").click()
    preview = merger.locator("#merge-preview")
    preview.wait_for()
    assert "1 件在办派单将随转到 D-JXS" in preview.inner_text()
    assert "工作人员账号须改到 D-JXS" in preview.inner_text()
    merger.get_by_role("button", name="确认合并").click()
    page.locator("#saved", has_text="已合并：1 件派单随转").wait_for()
    page.locator("#departments tr[data-code='D-ZGC']", has_text="已并入 D-JXS").wait_for()
    history = page.locator("#history tr", has_text="D-ZGC").first
    history.wait_for()
    assert "合并" in history.inner_text()
    diff = history.locator("table.diff")  # the record before → after, changed fields only
    assert "merged_into" in diff.inner_text() and "D-JXS" in diff.inner_text()
    assert "code" not in diff.locator(".diff-path").all_inner_texts()
    shot(page, "departments-merged")
    close(page)

    [old, new] = sorted(assignments(service, env.ticket_id), key=lambda a: a["attempt"])
    assert (old["status"], new["department_code"]) == ("returned", "D-JXS")
    [merge] = [a for a in audits(service, "department") if a["action"] == "merge"]
    assert (merge["key"], merge["after"]["merged_into"], merge["by"]) == ("D-ZGC", "D-JXS", "admin")

    workbench = open_page(browser, service, "chaoyang-jxs", "/workbench")
    workbench.locator("#inbox button.item", has_text="2612030001").wait_for()
    close(workbench)


def test_an_admin_imports_a_year_and_sees_its_holidays(
    browser: Any, service: Cluster, tmp_path: Path
) -> None:
    page = open_page(browser, service, "admin", "/calendar")
    page.locator("#years section.year").first.wait_for()
    # The built-in calendar ends with 2026, so the page warns (the clock is the real one).
    page.locator("#calendar-warning p[role='alert']").wait_for()
    holidays = ["2027-01-01", *(f"2027-02-{d:02d}" for d in range(6, 15)), "2027-04-05",
                "2027-05-01", "2027-05-03"]  # fmt: skip
    notice = {"year": 2027, "holidays": holidays, "workdays": ["2027-02-20"], "note": "测试"}
    file = tmp_path / "2027.json"
    file.write_text(json.dumps(notice), encoding="utf-8")
    page.get_by_label("节假日文件（JSON）").set_input_files(str(file))
    page.locator("#import-preview", has_text="2027 年：放假 13 天，调休上班 1 天").wait_for()
    assert page.locator("#import-form .error").all_inner_texts() == ["", "", "", "", ""]
    page.get_by_role("button", name="导入").click()
    page.locator("#imported", has_text="已导入 2027 年").wait_for()
    year = page.locator("#years section[data-year='2027']")
    year.wait_for()
    assert "管理员导入" in year.inner_text()
    assert "02-08 周一" in year.inner_text() and "02-20 周六" in year.inner_text()
    page.locator("#calendar-warning").wait_for(state="hidden")
    shot(page, "calendar-imported")
    close(page)
    [audit] = audits(service, "calendar")
    assert (audit["key"], audit["action"], audit["after"]["holidays"]) == (
        "2027",
        "import",
        holidays,
    )


def test_a_dispatcher_reads_both_pages_without_editing_controls(
    browser: Any, service: Cluster
) -> None:
    page = open_page(browser, service, "dispatcher", "/departments")
    page.locator("#departments tr[data-code='D-JXS']").wait_for()
    assert page.locator("#add").is_hidden()
    assert page.locator("#departments button").count() == 0
    page.goto(f"{service.url('dispatch')}/calendar")
    page.locator("#years section.year").first.wait_for()
    assert page.locator("#importer").is_hidden()
    close(page)

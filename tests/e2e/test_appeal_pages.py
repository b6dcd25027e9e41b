"""Appeals in real Chromium: department staff open the appeal from their workbench (dispatch)
on feedback's appeals page and file it; a dispatcher upholds it there. Running dispatch and
feedback processes on the embedded bus."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from services.common.bus.factory import make_bus
from services.common.settings import Settings
from tests.support.dispatch import envelope, put_on_bus, ticket_created
from tests.support.harness import PASSWORDS, ROOT, Cluster, embedded_env, eventually

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("appeal-pages")
    cluster = Cluster(embedded_env(data_dir), data_dir)
    cluster.start("dispatch", "feedback")
    yield cluster
    cluster.stop()


def _client(service: Cluster, name: str, user: str) -> httpx.Client:
    form = {"username": user, "password": PASSWORDS[user]}
    token = httpx.post(f"{service.url(name)}/api/v1/auth/token", data=form).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    return httpx.Client(base_url=service.url(name), headers=headers, timeout=10)


def _signed_in(browser: Any, service: Cluster, name: str, user: str, path: str) -> Any:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{service.url(name)}{path}")
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORDS[user])
    page.get_by_label("密码").press("Enter")
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    page.errors = errors
    return page


def test_a_department_appeals_from_its_workbench_and_a_dispatcher_upholds_it(
    service: Cluster, browser: Any
) -> None:
    event = envelope(ticket_created(number="2612030001", description="非本街道管辖的河道垃圾"))
    put_on_bus(make_bus(Settings(data_dir=Path(service.env["HOTLINE_DATA_DIR"]))), event)
    ticket_id = event.ticket_id
    with _client(service, "feedback", "dispatcher") as feedback:
        # Feedback learns of the assignment from dispatch's event before it can be appealed.
        eventually(lambda: feedback.get(f"/api/v1/tickets/{ticket_id}/assignments").json())

    staff = _signed_in(browser, service, "dispatch", "chaoyang-jxs", "/workbench")
    staff.locator("#inbox button.item", has_text="2612030001").click()
    staff.locator("#detail a#appeal").click()
    staff.wait_for_url(re.compile(r"/appeals\?assignment="))
    form = staff.locator("#file")
    form.get_by_role("button", name="提交申诉").click()
    expect(form.locator(".error[data-for='reason']")).to_have_text(re.compile(".+"))
    form.get_by_label("申诉事项").select_option("not_ours")
    form.get_by_label("申诉理由").fill("河道属区水务局管辖，非街道职责")
    form.get_by_role("button", name="提交申诉").click()
    row = staff.locator("#appeals tbody tr", has_text="2612030001")
    row.locator(".status", has_text="待裁定").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    staff.screenshot(path=str(ARTIFACTS / "appeals-filed.png"), full_page=True)

    desk = _signed_in(browser, service, "feedback", "dispatcher", "/appeals")
    pending = desk.locator("#appeals tbody tr", has_text="2612030001")
    pending.get_by_label("裁定理由").fill("经核实，河道由区水务局负责")
    pending.get_by_role("button", name="支持申诉").click()
    desk.locator("#status").select_option("")
    decided = desk.locator("#appeals tbody tr", has_text="2612030001")
    decided.locator(".status", has_text="已支持").wait_for()
    assert "dispatcher 裁定：支持" in decided.locator("ol.steps").inner_text()
    desk.screenshot(path=str(ARTIFACTS / "appeals-decided.png"), full_page=True)
    assert staff.errors == [] and desk.errors == []
    staff.context.close()
    desk.context.close()

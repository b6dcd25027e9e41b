"""Feedback's pages in real Chromium against a real feedback process: the citizen's
rating page at phone size (answer, thanks, reuse, forgery, expiry, English, keyboard),
the leader's ranking and the agents' callbacks. Screenshots go to test-artifacts/."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from services.common.bus.embedded import EmbeddedBus
from tests.support.feedback import Peers, opened
from tests.support.harness import PASSWORDS, ROOT, Cluster, embedded_env

ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 390, "height": 844}


class Site:
    def __init__(self, cluster: Cluster, peers: Peers, data_dir: Path) -> None:
        self.cluster = cluster
        self.peers = peers
        self.data_dir = data_dir
        self.url = cluster.url("feedback")

    def resolved(self, number: str, department: str, contact: bool = True) -> tuple[str, str]:
        ticket_id = self.peers.ticket(number)
        lead = self.peers.dispatched(ticket_id, department)
        if contact:
            self.peers.contacted(ticket_id, lead, department)
        self.peers.resolved(ticket_id, lead, department)
        return ticket_id, opened(self.peers.wait_for("RatingRequested", ticket_id)[0])

    def expire(self, ticket_id: str) -> None:
        past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        with sqlite3.connect(self.data_dir / "feedback.db") as db:
            db.execute(
                "UPDATE invitations SET expires_at = ? WHERE ticket_id = ?", (past, ticket_id)
            )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir: Path = tmp_path_factory.mktemp("feedback-pages")
    env = embedded_env(data_dir) | {"HOTLINE_FEEDBACK_EXPIRY_SWEEP_SECONDS": "3600"}
    cluster = Cluster(env, data_dir)
    cluster.start("feedback")
    peers = Peers(EmbeddedBus(data_dir / "bus.db"))
    yield Site(cluster, peers, data_dir)
    peers.close()
    cluster.stop()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"feedback-{name}.png"), full_page=True)


def _outcome(page: Any) -> str:
    page.wait_for_selector("#outcome:not([hidden])")
    return str(page.inner_text("#outcome"))


def test_a_citizen_rates_on_a_phone_and_the_link_is_then_spent(site: Site, phone: Any) -> None:
    _, link = site.resolved("20260512-0001", "D-JXS")
    phone.goto(link)
    phone.wait_for_selector("#invite:not([hidden])")
    assert phone.inner_text("#ticket-number") == "20260512-0001"
    assert phone.inner_text("#department") == "朝阳区建外街道办事处"
    assert "138" not in phone.inner_text("main")
    _shot(phone, "rate-phone")

    phone.get_by_role("button", name="提交评价").click()
    assert phone.inner_text("#err-solved") == "请选择一项"
    assert phone.evaluate("document.activeElement.name") == "contacted"

    # Keyboard only: Space picks the focused choice, Tab moves to the next question.
    phone.keyboard.press("Space")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Space")
    phone.get_by_role("radio", name="基本满意").check()
    phone.get_by_label("还想说点什么？（选填）").fill("工人很负责，就是来得晚了一点")
    assert phone.inner_text("#comment-count") == "14 / 500"
    _shot(phone, "rate-filled")
    phone.get_by_role("button", name="提交评价").click()
    assert "感谢您的评价" in _outcome(phone)
    assert "已办结" in phone.inner_text("#outcome")
    _shot(phone, "rate-thanks")

    phone.reload()
    assert "您已经评价过了" in _outcome(phone)


def test_a_refusal_is_answered_in_english_with_the_reopening(site: Site, phone: Any) -> None:
    _, link = site.resolved("20260512-0002", "D-ZGC")
    phone.goto(link)
    phone.wait_for_selector("#invite:not([hidden])")
    phone.get_by_role("button", name="English").click()
    assert phone.inner_text("#invite-title") == "Please rate how your case was handled"
    phone.get_by_role("radio", name="Yes").check()
    phone.get_by_role("radio", name="Not solved").check()
    phone.get_by_role("radio", name="Dissatisfied").check()
    phone.get_by_role("button", name="Send my rating").click()
    assert "handle it again" in _outcome(phone)
    _shot(phone, "rate-reopened-en")
    phone.evaluate("localStorage.clear()")


def test_an_answer_from_the_hotline_asks_two_questions(site: Site, phone: Any) -> None:
    ticket_id = site.peers.ticket("20260512-0005", category="政策咨询")
    site.peers.answered_directly(ticket_id)
    phone.goto(opened(site.peers.wait_for("RatingRequested", ticket_id)[0]))
    phone.wait_for_selector("#invite:not([hidden])")
    assert phone.inner_text("#department") == "12345 热线直接答复"
    assert not phone.is_visible("#q-contacted")
    phone.get_by_role("radio", name="已解决").check()
    phone.get_by_role("radio", name="满意", exact=True).check()
    phone.get_by_role("button", name="提交评价").click()
    assert "已办结" in _outcome(phone)
    assert site.peers.wait_for("TicketRated", ticket_id)[0].contacted is True


def test_forged_and_expired_links_get_friendly_pages(site: Site, phone: Any) -> None:
    ticket_id, link = site.resolved("20260512-0003", "U-WATER")
    phone.goto(link[:-6] + "AAAAAA")
    assert "链接无法打开" in _outcome(phone)
    _shot(phone, "rate-forged")
    phone.goto(f"{site.url}/rate")
    assert "链接无法打开" in _outcome(phone)
    site.expire(ticket_id)
    phone.goto(link)
    assert "链接已过期" in _outcome(phone)
    _shot(phone, "rate-expired")


def _sign_in(browser: Any, site: Site, username: str, path: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{site.url}/login?next={path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORDS[username])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{path}*")
    return page


def test_the_leader_sees_the_ranking_and_can_export_it(site: Site, browser: Any) -> None:
    page = _sign_in(browser, site, "leader", "/rankings")
    page.wait_for_selector("#ranking tbody tr")
    names = page.locator("#ranking tbody th").all_inner_texts()
    assert any("朝阳区建外街道办事处" in n for n in names)
    assert page.inner_text("#k-rated") != "—"
    href = page.get_attribute("#csv", "href")
    assert href is not None and href.endswith(".csv?lang=zh")
    with page.expect_download() as download:
        page.click("#csv")
    assert download.value.suggested_filename.startswith("rankings-")
    page.click("#definitions summary")
    assert "0.8" in page.inner_text("#d-satisfaction")
    _shot(page, "rankings")
    page.context.close()


def test_an_agent_records_a_callback(site: Site, browser: Any) -> None:
    ticket_id, _ = site.resolved("20260512-0004", "D-JXS", contact=False)
    page = _sign_in(browser, site, "agent1", "/callbacks")
    row = page.locator("#due tbody tr", has_text="20260512-0004")
    row.get_by_role("button").click()
    page.get_by_role("button", name="保存回访").click()
    assert page.locator(".error[data-for='answers.solved']").inner_text() == "请选择一项"
    page.locator("#answers").get_by_role("radio", name="没有联系").check()
    page.locator("#answers").get_by_role("radio", name="已解决").check()
    page.locator("#answers").get_by_role("radio", name="满意", exact=True).check()
    page.get_by_label("回访备注").fill("市民不方便用手机，电话回访")
    _shot(page, "callbacks")
    page.get_by_role("button", name="保存回访").click()
    page.wait_for_selector(".toast")
    assert "工单办结" in page.inner_text(".toast")
    # The list is read again after the toast: wait for that, not for the first paint.
    expect(page.locator("#due tbody tr", has_text="20260512-0004")).to_have_count(0)
    rated = site.peers.wait_for("TicketRated", ticket_id)[0]
    assert (rated.via, rated.by, rated.contacted) == ("callback", "agent1", False)
    page.context.close()

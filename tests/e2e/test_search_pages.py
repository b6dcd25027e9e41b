"""The search page and the leaders' dashboard in real Chromium, against the search service
running as its own process on a history of synthetic events. Screenshots are kept under
test-artifacts/ for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks import search_corpus
from proto.assignments import AssignmentDispatched
from proto.envelope import Envelope
from services.common.bus.embedded import EmbeddedBus
from tests.support import evidence
from tests.support.dispatch import envelope, ticket_created
from tests.support.harness import PASSWORDS, ROOT, Cluster, embedded_env, eventually

ARTIFACTS = ROOT / "test-artifacts"
TICKETS = 60


def client(cluster: Cluster, username: str) -> httpx.Client:
    """A client of the search service signed in there (only search runs in this module)."""
    base = cluster.url("search")
    form = {"username": username, "password": PASSWORDS[username]}
    token = httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("search-pages")
    # Stalled tickets: the overdue chart must not hang on what the random draws happen to give.
    now = datetime.now(UTC)
    envelopes = list(search_corpus.history(TICKETS, now, stalled=3))
    # From the portal and the app, with photos, one from a frequent caller.
    envelopes += evidence.with_photos("ev-web-0001", now - timedelta(hours=2), "web")
    later = now - timedelta(hours=3)
    envelopes += evidence.with_photos("ev-app-0002", later, "app", frequent=False)
    # Three tickets sent on from the review queue with a suggestion: two where it pointed.
    decided = (("010102", "accepted"), ("020101", "accepted"), ("030102", "overridden"))
    for n, (category, outcome) in enumerate(decided):
        envelopes += suggested(f"26120300{n}", category, outcome, now - timedelta(minutes=5))
    publisher = EmbeddedBus(data_dir / "bus.db").publisher()
    publisher.publish(list(search_corpus.messages(iter(envelopes))))
    publisher.close()
    cluster = Cluster(embedded_env(data_dir), data_dir)
    cluster.start("search", "intake")  # intake for proactive tickets (未诉先办)
    expected = len({e.ticket_id for e in envelopes})
    with client(cluster, "dispatcher") as dispatcher:
        eventually(lambda: dispatcher.get("/api/v1/search").json()["total"] == expected, 90)
    yield cluster
    cluster.stop()


def suggested(number: str, category: str, outcome: str, at: datetime) -> list[Envelope]:
    # No place: the ticket weighs in no hot spot.
    created = ticket_created(
        number=number, category_code=category, created_at=at, area_code=None, area_path=[]
    )
    sent = AssignmentDispatched(
        assignment_id=f"as-{number}", department_code="D-JXS", department_name="建外街道办事处",
        rule="manual", dispatched_at=at, dispatched_by="dispatcher", suggestion=outcome,  # type: ignore[arg-type]
    )  # fmt: skip
    first = envelope(created)
    return [first, envelope(sent, first.ticket_id)]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, cluster: Cluster, username: str, path: str) -> None:
    page.goto(f"{cluster.url('search')}{path}")
    page.wait_for_url("**/login**")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.press("#password", "Enter")
    page.wait_for_url(f"**{path}**")


def test_search_find_filter_and_read_a_timeline(search: Cluster, page: Any) -> None:
    sign_in(page, search, "dispatcher", "/search")
    page.wait_for_selector("ol.hits li")
    assert page.locator("nav.tabs a").all_inner_texts() == [
        "工单检索",
        "领导驾驶舱",
        "每月一题",
        "月度报告",
    ]
    page.locator("#total").click()  # away from the search box, then back with the key
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("噪音")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#hits mark') !== null")
    total = page.inner_text("#total")
    assert total.startswith("共 ") and "件" in total
    assert all(m == "噪音" for m in page.locator("#hits mark").all_inner_texts()[:5])
    district = page.locator("#facets label.facet", has_text="朝阳区").first
    district.locator("input").check()
    page.wait_for_function(f"document.querySelector('#total').innerText !== {total!r}")
    assert "area=110105" in page.url
    page.locator("button.hit").first.click()
    page.wait_for_selector("#detail ol.timeline li")
    steps = page.locator("#detail ol.timeline strong").all_inner_texts()
    assert steps[:2] == ["受理", "派单"]
    assert "agent" in page.inner_text("#detail .who")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-page.png"), full_page=True)
    page.keyboard.press("Escape")
    assert page.locator("#detail").is_hidden()
    export = page.get_attribute("#export", "href")
    assert export is not None and "/api/v1/search/export?" in export and "q=" in export
    # The channel facet; a portal ticket with its photos and the frequent-caller cue.
    page.fill("#q", "")
    page.press("#q", "Enter")
    page.locator("#facets fieldset", has_text="来源渠道").locator("label", has_text="网站").click()
    page.wait_for_function("document.querySelectorAll('#hits li').length === 1")
    assert "channel=web" in page.url
    page.locator("button.hit").first.click()
    page.wait_for_selector("#detail ol.timeline li")
    assert page.locator("#detail .badge", has_text="频繁来电").is_visible()
    assert page.locator("#detail dd", has_text="网站").is_visible()
    thumbs = page.locator("#detail ol.timeline .photos img")
    assert thumbs.count() == 4  # the citizen's one, one before, two after
    source = thumbs.first.get_attribute("src") or ""
    assert source.startswith(search.url("intake")) and source.endswith("/thumbnail")


def test_bad_input_is_explained_and_english_is_one_click_away(search: Cluster, page: Any) -> None:
    sign_in(page, search, "agent1", "/search")
    page.wait_for_selector("ol.hits li")
    assert page.locator("nav.tabs a").all_inner_texts() == ["工单检索"]
    page.fill("#q", '"夜间施工')
    page.press("#q", "Enter")
    page.wait_for_function("document.querySelector('.error[data-for=_]').innerText !== ''")
    assert "引号" in page.inner_text(".error[data-for='_']")
    page.click("#lang-switch")
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.fill("#q", "停水")
    page.press("#q", "Enter")
    page.wait_for_function("document.querySelector('#total').innerText.endsWith('tickets')")
    assert page.inner_text("#search button.primary") == "Search"
    assert page.locator("#facets legend").first.inner_text() == "Status"
    page.screenshot(path=str(ARTIFACTS / "search-page-en.png"), full_page=True)


def test_the_leaders_dashboard(search: Cluster, page: Any) -> None:
    sign_in(page, search, "leader", "/dashboard")
    page.wait_for_selector("#sla-chart svg")
    page.wait_for_selector("#hot-chart svg")
    assert page.locator("#kpis .kpi").count() == 6
    accepted = page.locator("#kpi-suggestions")
    assert accepted.locator(".v").inner_text() == "66.7%"
    assert "采纳 2 件 / 共 3 件" in accepted.inner_text()
    assert page.locator("#sla-chart svg circle").count() >= 2
    rates = page.locator("#rates tbody tr")
    assert rates.count() >= 3
    assert "%" in rates.first.inner_text()
    hot = page.locator("#hot tbody tr").first.inner_text()
    assert "噪音扰民" in hot and "建外街道" in hot
    assert page.locator("#overdue-chart svg rect").count() >= 1
    channels = page.locator("#channels-table tbody tr").all_inner_texts()
    assert [row.split("\t")[0] for row in channels[:3]] == ["电话", "网站", "App / 微信"]
    assert page.locator("#channels-chart svg rect").count() == 4
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    page.locator("#hot tbody tr a").first.click()
    page.wait_for_url("**/search?**")
    page.wait_for_selector("ol.hits li")
    assert "category=010101" in page.url


def test_pages_need_a_sign_in_and_dashboards_a_leader(search: Cluster) -> None:
    anonymous = httpx.get(f"{search.url('search')}/api/v1/dashboard")
    assert anonymous.status_code == 401
    with client(search, "chaoyang-jxs") as staff:
        assert staff.get("/api/v1/dashboard").status_code == 403
        assert staff.get("/search").status_code == 200


def test_a_theme_from_a_hot_spot_and_a_proactive_ticket_from_the_theme(
    search: Cluster, browser: Any, page: Any
) -> None:
    """A leader makes the week's hot spot a theme and gives it a task; a dispatcher opens a
    proactive ticket from the theme's page; the dashboard shows both."""
    sign_in(page, search, "leader", "/dashboard")
    page.locator("#hot tbody tr").first.get_by_text("立为专题").click()
    page.wait_for_url("**/themes?hotspot=010101%40110105001")
    page.fill("#title", "建外街道夜间施工噪音专项治理")
    page.fill("#lead_department", "D-JXS")
    page.click("#create-theme")
    page.wait_for_url("**/themes?id=**")
    page.wait_for_selector("#detail #chart svg")
    theme_url = page.url
    page.fill("#task input[name=title]", "夜间施工巡查")
    page.fill("#task input[name=department_code]", "D-CYCG")
    page.fill("#task input[name=due_on]", "2099-12-31")
    page.click("#task button[type=submit]")
    page.locator("#tasks tbody tr", has_text="夜间施工巡查").wait_for()
    page.screenshot(path=str(ARTIFACTS / "theme.png"), full_page=True)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    desk = context.new_page()
    sign_in(desk, search, "dispatcher", theme_url.removeprefix(search.url("search")))
    desk.click("#proactive")  # intake's page: the same sign-in (one token, one host)
    desk.wait_for_url("**/proactive?**")
    assert desk.input_value("#source").startswith("theme:")
    assert desk.input_value("#category_code") == "010101"
    desk.click("#open")
    desk.wait_for_selector("#done a")
    assert "已立单" in desk.inner_text("#done")
    context.close()

    with client(search, "leader") as leader:
        board = eventually(
            lambda: (b := leader.get("/api/v1/dashboard").json())["proactive"]["open"] == 1 and b
        )
    assert [(t["title"], t["progress"]["tasks"]) for t in board["themes"]] == [
        ("建外街道夜间施工噪音专项治理", 1)
    ]
    page.goto(f"{search.url('search')}/dashboard")
    page.locator("#themes tbody a", has_text="建外街道夜间施工噪音专项治理").wait_for()
    assert page.locator("#kpis .kpi").last.inner_text().startswith("1")
    assert "0/1" in page.locator("#themes tbody tr").first.inner_text()

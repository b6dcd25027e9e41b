"""The month in public as citizens meet it: search running as its own process with the
settings docker-compose.yml gives it, behind the project's nginx configuration, last month
filled with tickets whose descriptions, addresses, ratings and staff carry distinctive
strings. In real Chromium without signing in, at /public/: the figures are the leaders'
dashboard's for the same month, the cells under the threshold (the default, 10) are
suppressed, and no public answer (page, JSON, CSV, dictionary) holds a word of any ticket,
a ticket number, a staff account or a phone number. The staff API behind the same proxy
still asks for a sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from benchmarks import search_corpus
from benchmarks.search_corpus import Story
from proto import assignments as a
from proto import feedback as f
from proto import tickets as t
from proto.envelope import Envelope
from services.common.bus.embedded import EmbeddedBus
from tests.e2e.test_proxy_pages import Deployed, Watched
from tests.support import peers
from tests.support.harness import PASSWORDS, ROOT, SERVICES, eventually
from tests.support.monthly import DAY, MONTH

# street → (district, street, community names; its street office)
PLACES = {
    "110105001001": (["朝阳区", "建外街道", "永安里社区"], "D-JXS", "朝阳区建外街道办事处"),
    "110108001001": (["海淀区", "中关村街道", "科源社区"], "D-ZGC", "海淀区中关村街道办事处"),
    "110105002001": (["朝阳区", "朝外街道", "吉祥社区"], "D-CWJ", "朝阳区朝外街道办事处"),
    "110108002001": (["海淀区", "学院路街道", "石油社区"], "D-XYL", "海淀区学院路街道办事处"),
}
# Ratings per street office: D-XYL's 2 are under 10; D-CWJ's 10 are then hidden beside them
# (the smallest shown), so that the city-wide count minus the rest recovers neither.
RATED = {"110105001001": 12, "110108001001": 11, "110105002001": 10, "110108002001": 2}
CHANNELS = ["phone"] * 22 + ["web"] * 11 + ["app"] * 2  # app 2: hidden, with web
CATEGORIES = [("010102", ["城乡建设", "市容环境", "垃圾清运"])] * 20 + [
    ("030101", ["交通管理", "道路设施", "路灯"])
] * 13 + [("020101", ["社会保障", "劳动就业", "工资拖欠"])] * 2  # fmt: skip
ANSWERS = [(True, True, "satisfied"), (True, True, "basically_satisfied"),
           (False, False, "dissatisfied"), (True, False, "satisfied")]  # fmt: skip
# What must never reach the public: each ticket's words, its number, the staff.
CALLER = "欧阳锋"
SECRETS = (CALLER, "13912345678", "独特描述", "柳林巷", "独特地址", "独特评论", "独特结果",
           "agent-ouyang", "staff-huangyaoshi", "NO0000", "pub-0000")  # fmt: skip
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ARTIFACTS = ROOT / "test-artifacts"


def ticket(n: int, area: str) -> list[Envelope]:
    path, department, office = PLACES[area]
    category, names = CATEGORIES[n]
    told = Story(f"pub-{n:06d}", DAY + timedelta(minutes=n))
    told.add(t.TicketCreated(
        number=f"NO{n:05d}X", channel=CHANNELS[n], request_type="complaint",
        category_code=category, category_path=names, area_code=area, area_path=path,
        urgency="general", has_phone=True, created_by="agent-ouyang", created_at=told.clock,
        description=f"独特描述{n}：我是{CALLER}，电话13912345678，楼下烧烤油烟扰民",
        address=f"柳林巷{n}号独特地址",
    ), "intake", timedelta(0))  # fmt: skip
    aid = f"as-pub-{n}"
    start = told.clock
    told.add(a.AssignmentDispatched(
        assignment_id=aid, department_code=department, department_name=office,
        rule="territory:street", dispatched_at=start, deadlines={"resolve": start + timedelta(1)},
    ), "dispatch", timedelta(seconds=1))  # fmt: skip
    told.add(a.AssignmentResolved(
        assignment_id=aid, department_code=department, department_name=office,
        outcome=f"独特结果：已联系{CALLER}", by="staff-huangyaoshi", at=told.clock,
        dispatched_at=start,
    ), "dispatch", timedelta(hours=2))  # fmt: skip
    contacted, solved, satisfaction = ANSWERS[n % len(ANSWERS)]
    told.add(f.TicketRated(
        invitation_id=f"inv-pub-{n}", department_code=department, contacted=contacted,
        solved=solved, satisfaction=satisfaction, comment=f"独特评论{CALLER}13912345678",
        via="link", by=None, at=told.clock, assignment_id=aid, contact_on_time=True,
    ), "feedback", timedelta(hours=1))  # fmt: skip
    return told.events


def last_month() -> list[Envelope]:
    areas = [area for area, count in RATED.items() for _ in range(count)]
    return [e for n, area in enumerate(areas) for e in ticket(n, area)]


class Site:
    def __init__(self, url: str) -> None:
        self.url = url

    def leader(self) -> httpx.Client:
        form = {"username": "leader", "password": PASSWORDS["leader"]}
        token = httpx.post(f"{self.url}/search/api/v1/auth/token", data=form).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir: Path = tmp_path_factory.mktemp("public-page")
    envelopes = last_month()
    publisher = EmbeddedBus(data_dir / "bus.db").publisher()
    publisher.publish(list(search_corpus.messages(iter(envelopes))))
    publisher.close()
    port = peers.free_port()
    platform = Deployed(data_dir, f"http://127.0.0.1:{port}")
    # Last month closes as soon as it ends, so that it is published now.
    platform.common = {**platform.common, "HOTLINE_SEARCH_PUBLIC_CLOSE_DAYS": "0"}
    upstreams = {name: platform.base_port + i for i, name in enumerate(SERVICES)}
    proxy = peers.start_nginx(upstreams | {"grafana": peers.free_port()}, port)
    try:
        platform.start("search")
        site = Site(proxy.url)
        with site.leader() as leader:
            total = sum(RATED.values())
            eventually(lambda: leader.get("/search/api/v1/search").json()["total"] == total, 60)
        yield site
    finally:
        platform.stop()
        proxy.stop()


@pytest.fixture(scope="module")
def board(site: Site) -> dict[str, Any]:
    with site.leader() as leader:
        answer = leader.get("/search/api/v1/dashboard", params={"month": MONTH})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def percent(value: float) -> str:
    return f"{value * 100:.2f}%"


def places(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The public ranks: the shown rows (in the dashboard's order) ranked among themselves,
    equal dashboard ranks sharing a place."""
    found: dict[str, int] = {}
    for i, row in enumerate(rows):
        tied = i and rows[i - 1]["rank"] == row["rank"]
        found[row["key"]] = found[rows[i - 1]["key"]] if tied else i + 1
    return found


def rows(page: Any, table: str) -> dict[str, list[str]]:
    found = page.locator(f"#table-{table} tbody tr")
    return {
        found.nth(i).get_attribute("data-key"): found.nth(i).locator("td").all_inner_texts()
        for i in range(found.count())
    }


def test_the_public_page_shows_the_dashboards_figures_with_small_cells_suppressed(
    site: Site, board: dict[str, Any], browser: Any
) -> None:
    tab = Watched(browser, viewport={"width": 1280, "height": 900})
    page = tab.page
    try:
        page.goto(f"{site.url}/public/")
        expect(page.locator("#table-departments tbody tr").first).to_be_attached()
        assert page.input_value("#month") == MONTH
        rated = ("response_rate", "resolution_rate", "satisfaction_rate", "score")
        for table in ("departments", "streets"):
            shown = rows(page, table)
            place = places([row for row in board[table] if row["m_rated"] >= 11])
            for row in board[table]:
                if row["m_rated"] >= 11:
                    expected = [str(place[row["key"]]), row["label"], str(row["m_rated"])]
                    assert shown[row["key"]] == expected + [percent(row[k]) for k in rated]
                else:  # 2 (under 10), and 10 hidden beside it
                    assert shown[row["key"]][0] == "–"  # no rank
                    assert shown[row["key"]][2:] == ["<10"] * 5
        ranked = [r["key"] for r in board["departments"] if r["m_rated"] >= 11]
        assert sorted(ranked) == ["D-JXS", "D-ZGC"]  # the rest follow, by code
        assert list(rows(page, "departments")) == [*ranked, "D-CWJ", "D-XYL"]
        channels = {r["key"]: r["count"] for r in board["volume"]["channels"]}
        shown_channels = {k: v[1] for k, v in rows(page, "channels").items()}
        assert shown_channels["phone"] == str(channels["phone"]) == "22"
        assert shown_channels["app"] == shown_channels["web"] == "<10"
        categories = {k: v[1] for k, v in rows(page, "categories").items()}
        assert categories == {"01": "20", "03": "<10", "02": "<10"}
        districts = {r["key"]: str(r["count"]) for r in board["volume"]["districts"]}
        assert {k: v[1] for k, v in rows(page, "districts").items()} == districts
        assert rows(page, "received")["received"] == [str(board["totals"]["created_this_month"])]
        city = rows(page, "city")["city"]
        assert city == [str(board["city"]["m_rated"]), *(percent(board["city"][k]) for k in rated)]
        expect(page.locator("#dictionary tbody tr").first).to_be_attached()
        expect(page.locator("header nav.menu")).to_have_count(0)
        page.wait_for_load_state("networkidle")
        assert tab.problems == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "public-page.png"), full_page=True)
        scan(page.content())
        page.locator("#lang-switch").click()
        expect(page.locator("#title-departments")).to_have_text(
            "Departments ranked by the three rates"
        )
        scan(page.content())
    finally:
        tab.context.close()


def test_a_month_in_the_address_leads_no_request_out_of_the_public_api(
    site: Site, browser: Any
) -> None:
    tab = Watched(browser)
    asked: list[str] = []
    tab.page.on("request", lambda request: asked.append(request.url))
    try:
        tab.page.goto(f"{site.url}/public/?month=../../search")
        expect(tab.page.locator("#problem")).not_to_be_empty()
        api = [url for url in asked if "/api/" in url]
        assert api and all(url.startswith(f"{site.url}/search/api/v1/public/") for url in api), api
    finally:
        tab.context.close()


def scan(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret
    assert PHONE.search(text) is None, PHONE.search(text)


def test_no_public_answer_holds_anything_personal(site: Site) -> None:
    base = f"{site.url}/search/api/v1/public"
    answers = [
        httpx.get(f"{site.url}/public/"),
        httpx.get(f"{base}/months"),
        httpx.get(f"{base}/months/{MONTH}"),
        httpx.get(f"{base}/months/{MONTH}.csv"),
        httpx.get(f"{base}/dictionary"),
    ]
    for answer in answers:
        assert answer.status_code == 200, (answer.url, answer.text)
        scan(answer.content.decode("utf-8"))
    assert answers[3].content.startswith(b"\xef\xbb\xbf")


def test_behind_the_proxy_only_the_public_part_of_search_goes_without_a_sign_in(
    site: Site,
) -> None:
    assert httpx.get(f"{site.url}/search/api/v1/dashboard").status_code == 401
    assert httpx.get(f"{site.url}/search/api/v1/search").status_code == 401
    assert httpx.get(f"{site.url}/public/api/v1/dashboard").status_code == 404
    landed = httpx.get(f"{site.url}/public", follow_redirects=True)
    assert landed.status_code == 200 and str(landed.url) == f"{site.url}/public/"

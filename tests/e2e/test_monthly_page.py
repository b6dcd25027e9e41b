"""The monthly report page in real Chromium, against the search service running as its own
process on last month's tickets: the department ranking on screen is the dashboard API's
for that month, and the page's download link gives that month's workbook."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from benchmarks import search_corpus
from services.common.bus.embedded import EmbeddedBus
from tests.support.harness import PASSWORDS, ROOT, Cluster, embedded_env, eventually
from tests.support.monthly import MONTH, last_month

ARTIFACTS = ROOT / "test-artifacts"


def client(cluster: Cluster, username: str) -> httpx.Client:
    base = cluster.url("search")
    form = {"username": username, "password": PASSWORDS[username]}
    token = httpx.post(f"{base}/api/v1/auth/token", data=form).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    data_dir: Path = tmp_path_factory.mktemp("monthly-page")
    envelopes = last_month()
    publisher = EmbeddedBus(data_dir / "bus.db").publisher()
    publisher.publish(list(search_corpus.messages(iter(envelopes))))
    publisher.close()
    cluster = Cluster(embedded_env(data_dir), data_dir)
    cluster.start("search")
    expected = len({e.ticket_id for e in envelopes})
    try:
        with client(cluster, "leader") as leader:
            eventually(lambda: leader.get("/api/v1/search").json()["total"] == expected, 60)
        yield cluster
    finally:
        cluster.stop()


def test_the_page_shows_the_months_ranking_and_downloads_its_workbook(
    search: Cluster, browser: Any, tmp_path: Path
) -> None:
    with client(search, "leader") as leader:
        board = leader.get("/api/v1/dashboard", params={"month": MONTH}).json()
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{search.url('search')}/monthly?month={MONTH}")
        page.wait_for_url("**/login**")
        page.fill("#username", "leader")
        page.fill("#password", PASSWORDS["leader"])
        page.press("#password", "Enter")
        page.wait_for_url("**/monthly**")
        page.wait_for_selector("#section-departments tbody tr")
        assert page.input_value("#month") == MONTH
        rows = page.locator("#section-departments tbody tr")
        shown = [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]
        rates = ("response_rate", "resolution_rate", "satisfaction_rate", "score")
        assert shown == [
            [str(d["rank"]), d["key"], d["label"], str(d["m_rated"]),
             *(f"{d[k] * 100:.2f}%" for k in rates), str(d["excluded_tickets"])]
            for d in board["departments"]
        ]  # fmt: skip
        assert [r[1] for r in shown] == ["D-ZGC", "D-JXS"]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "monthly-page.png"), full_page=True)
        with page.expect_download() as download:
            page.click("#xlsx")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == f"hotline-report-{MONTH}.xlsx"
        sheet = load_workbook(saved)["承办单位三率排名"]
        ranked = [row[:4] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert ranked == [
            (d["rank"], d["key"], d["label"], d["m_rated"]) for d in board["departments"]
        ]
    finally:
        context.close()

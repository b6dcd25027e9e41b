"""The monthly report (月度报告) in the search service as its bootstrap builds it (real
SQLite files, the embedded bus): tickets of last month folded from their events; the XLSX
holds exactly the dashboard's figures for that month, the PDF reads back with its tables
and the month on every page, `hotline report` writes both files from the same store, bad
months are refused in both languages and agents are refused."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from benchmarks import search_corpus
from proto.vocabulary import label
from services import cli
from services.common.settings import Settings
from services.search.bootstrap import build
from tests.support.harness import PASSWORDS, drain, driven
from tests.support.monthly import LAST_MONTH, MONTH, NEXT_MONTH, THIS_MONTH, last_month


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("monthly")


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    app = driven(build(Settings(data_dir=data_dir)))
    with TestClient(app) as test_client:
        publisher = app.state.platform.bus.publisher()
        publisher.publish(list(search_corpus.messages(iter(last_month()))))
        publisher.close()
        drain(app)
        yield test_client


TOKENS: dict[str, str] = {}  # one sign-in per user: hashing a password takes a while


def headers(client: TestClient, user: str, lang: str = "zh-CN") -> dict[str, str]:
    if user not in TOKENS:
        form = {"username": user, "password": PASSWORDS[user]}
        TOKENS[user] = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {TOKENS[user]}", "Accept-Language": lang}


@pytest.fixture(scope="module")
def board(client: TestClient) -> dict[str, Any]:
    found = client.get(
        "/api/v1/dashboard", params={"month": MONTH}, headers=headers(client, "leader")
    )
    assert found.status_code == 200, found.text
    result: dict[str, Any] = found.json()
    return result


def test_last_months_figures_follow_the_three_rates_definitions(board: dict[str, Any]) -> None:
    assert board["month"] == LAST_MONTH.isoformat()
    ranked = [
        (r["rank"], r["key"], r["m_rated"], r["excluded_tickets"]) for r in board["departments"]
    ]
    assert ranked == [(1, "D-ZGC", 2, 0), (2, "D-JXS", 3, 1)]
    jxs = board["departments"][1]
    # 2/3 responded and solved; (1 + 0.8) / 3 satisfied; 0.1 × 2/3 + 0.45 × 2/3 + 0.45 × 0.6.
    assert (jxs["response_rate"], jxs["resolution_rate"], jxs["satisfaction_rate"]) == (
        0.6667, 0.6667, 0.6,
    )  # fmt: skip
    assert jxs["score"] == 0.6367 and board["departments"][0]["score"] == 1.0
    streets = [(r["rank"], r["key"], r["label"], r["m_rated"], r["excluded_tickets"])
               for r in board["streets"]]  # fmt: skip
    assert streets == [(1, "110108001", "中关村街道", 2, 0), (2, "110105001", "建外街道", 3, 1)]
    assert board["city"]["m_rated"] == 5 and board["city"]["resolution_rate"] == 0.8
    volume = {r["key"]: r["count"] for r in board["volume"]["channels"]}
    assert volume == {"phone": 5, "web": 1, "app": 1, "email": 1, "proactive": 1}
    assert [(r["key"], r["count"]) for r in board["volume"]["categories"]] == [("01", 9)]
    assert [r["key"] for r in board["volume"]["districts"]] == ["110105", "110108"]
    assert [(r["key"], r["count"]) for r in board["overdue"]] == [("D-CWJ", 1)]
    late = {r["key"]: (r["m_resolved"], r["late"]) for r in board["resolutions"]}
    assert late == {"D-JXS": (5, 0), "D-ZGC": (2, 0), "D-CWJ": (1, 1)}
    assert board["proactive"] == {
        "created_this_month": 1, "open": 0, "resolved_this_month": 1, "within_sla_this_month": 1,
    }  # fmt: skip
    assert board["totals"]["created_this_month"] == 9


def sheet_rows(book: Any, title: str) -> list[list[Any]]:
    return [list(row) for row in book[title].iter_rows(values_only=True)]


def test_the_workbook_holds_exactly_the_dashboards_figures(
    client: TestClient, board: dict[str, Any]
) -> None:
    response = client.get(f"/api/v1/reports/{MONTH}.xlsx", headers=headers(client, "dispatcher"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f"hotline-report-{MONTH}.xlsx" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "概况", "渠道受理量", "分类受理量", "区域受理量", "承办单位三率排名", "街道三率排名",
        "超期未办结", "办结时效", "高频问题", "热点问题", "每月一题进展",
    ]  # fmt: skip
    rates = ("m_rated", "response_rate", "resolution_rate", "satisfaction_rate", "score",
             "excluded_tickets")  # fmt: skip
    for title, key in (("承办单位三率排名", "departments"), ("街道三率排名", "streets")):
        head, *rows = sheet_rows(book, title)
        assert head[:4] == [
            "排名",
            "编码",
            "承办单位" if key == "departments" else "街道",
            "参评件",
        ]
        assert rows == [
            [r["rank"], r["key"], r["label"], *(r[k] for k in rates)] for r in board[key]
        ]
        assert book[title]["E2"].number_format == "0.00%"  # a rate, shown in percent
    channels = [[label("channel", r["key"]), r["count"]] for r in board["volume"]["channels"]]
    assert sheet_rows(book, "渠道受理量")[1:] == channels
    for title, key in (("分类受理量", "categories"), ("区域受理量", "districts"),
                       ("高频问题", "problems")):  # fmt: skip
        expected = [[r["key"], r["label"], r["count"]] for r in board["volume"][key]]
        assert sheet_rows(book, title)[1:] == expected
    assert sheet_rows(book, "超期未办结")[1:] == [
        [r["key"], r["label"], r["count"]] for r in board["overdue"]
    ]
    timeliness = [
        [
            r["key"],
            r["label"],
            *(r[k] for k in ("m_resolved", "m_within_sla", "late", "compliance")),
        ]
        for r in board["resolutions"]
    ]
    assert sheet_rows(book, "办结时效")[1:] == timeliness
    overview = dict(sheet_rows(book, "概况")[1:])
    assert (
        overview["统计月份"] == MONTH
        and overview["受理量"] == board["totals"]["created_this_month"]
    )
    assert overview["全市满意率"] == board["city"]["satisfaction_rate"]
    assert overview["主动立单（未诉先办）"] == board["proactive"]["created_this_month"]
    assert overview["申诉核减工单"] == 1


def test_the_pdf_reads_back_with_every_section_and_the_month_on_each_page(
    client: TestClient, board: dict[str, Any]
) -> None:
    response = client.get(f"/api/v1/reports/{MONTH}.pdf", headers=headers(client, "leader"))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    assert pages and all(f"统计月份 {MONTH}" in text and "生成时间" in text for text in pages)
    whole = "\n".join(pages)
    for title in ("概况", "承办单位三率排名", "街道三率排名", "超期未办结", "每月一题进展"):
        assert title in whole
    assert "朝阳区建外街道办事处" in whole and "63.67%" in whole  # D-JXS's score
    english = client.get(f"/api/v1/reports/{MONTH}.pdf", params={"lang": "en"},
                         headers=headers(client, "leader"))  # fmt: skip
    assert "Department ranking" in "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(english.content)).pages
    )


def test_hotline_report_writes_both_files_from_the_configured_store(
    client: TestClient, board: dict[str, Any], data_dir: Path, tmp_path: Path
) -> None:
    env = {"HOTLINE_DATA_DIR": str(data_dir)}
    result = CliRunner().invoke(cli.app, ["report", MONTH, "--out", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    xlsx, pdf = tmp_path / f"hotline-report-{MONTH}.xlsx", tmp_path / f"hotline-report-{MONTH}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    rows = sheet_rows(load_workbook(xlsx), "承办单位三率排名")[1:]
    assert [(r[0], r[1], r[3], r[7]) for r in rows] == [
        (d["rank"], d["key"], d["m_rated"], d["score"]) for d in board["departments"]
    ]
    english = CliRunner().invoke(
        cli.app, ["report", MONTH, "--out", str(tmp_path / "en"), "--lang", "en"], env=env
    )
    assert english.exit_code == 0, english.output
    assert "Department ranking" in load_workbook(tmp_path / "en" / xlsx.name).sheetnames
    future = CliRunner().invoke(cli.app, ["report", NEXT_MONTH], env=env)
    assert future.exit_code == 2 and "尚未开始" in future.stderr


@pytest.mark.parametrize(
    ("month", "zh", "en"),
    [
        ("2026-13", "月份格式应为 YYYY-MM", "A month is written YYYY-MM"),
        ("november", "月份格式应为 YYYY-MM", "A month is written YYYY-MM"),
        (NEXT_MONTH, "尚未开始", "has not begun"),
        ("1969-12", "最早可查询 1970-01", "The earliest month is 1970-01"),
    ],
)
def test_bad_months_are_refused_in_both_languages(
    client: TestClient, month: str, zh: str, en: str
) -> None:
    for path in (f"/api/v1/reports/{month}.xlsx", f"/api/v1/reports/{month}.pdf"):
        refused = client.get(path, headers=headers(client, "leader"))
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert zh in refused.json()["detail"] and refused.json()["errors"][0]["field"] == "month"
    english = client.get(f"/api/v1/reports/{month}.xlsx", headers=headers(client, "leader", "en"))
    assert en in english.json()["detail"]
    board = client.get(
        "/api/v1/dashboard", params={"month": month}, headers=headers(client, "admin")
    )
    assert board.status_code == 422 and zh in board.json()["detail"]


def test_agents_and_department_staff_are_refused(client: TestClient) -> None:
    for user in ("agent1", "chaoyang-jxs"):
        for path in (f"/api/v1/reports/{MONTH}.xlsx", f"/api/v1/reports/{MONTH}.pdf"):
            assert client.get(path, headers=headers(client, user)).status_code == 403
    assert (
        client.get(f"/api/v1/reports/{MONTH}.xlsx", headers=headers(client, "admin")).status_code
        == 200
    )


def test_this_month_is_the_dashboards_default(client: TestClient) -> None:
    leader = headers(client, "leader")
    default = client.get("/api/v1/dashboard", headers=leader).json()
    chosen = client.get("/api/v1/dashboard", params={"month": THIS_MONTH.strftime("%Y-%m")},
                        headers=leader).json()  # fmt: skip
    for board in (default, chosen):
        del board["generated_at"], board["until"]
        for spot in board["hotspots"]:
            spot.pop("tickets")
    assert default == chosen
    assert [(r["key"], r["m_rated"]) for r in default["departments"]] == [("D-ZGC", 1)]

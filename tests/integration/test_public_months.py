"""The month in public in the search service as its bootstrap builds it (real SQLite files,
the embedded bus), without signing in: last month's figures equal the leaders' dashboard's,
small counts are suppressed, the figures are frozen once published (a late event changes
the dashboard, not the published month), the month's root appears once the ledger has
sealed each of its days, a month not closed is a 404, a malformed one (or a year 0000) a
422, the CSV opens in Excel (BOM) and a flood of requests from one address gets 429."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from benchmarks import search_corpus
from services.common.settings import Settings
from services.search.adapters.ledger import ledgers
from services.search.bootstrap import build
from services.search.config import SearchSettings
from services.search.handlers import ledger
from tests.support.harness import PASSWORDS, drain, driven
from tests.support.monthly import DAY, LAST_MONTH, MONTH, THIS_MONTH, last_month, story

PER_MINUTE = 40
OPTIONS = SearchSettings(
    search_public_min_count=2,
    search_public_close_days=0,
    search_public_requests_per_minute=PER_MINUTE,
)
RATES = ("response_rate", "resolution_rate", "satisfaction_rate", "score")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data_dir: Path = tmp_path_factory.mktemp("public-months")
    built = driven(build(Settings(data_dir=data_dir), OPTIONS))
    with TestClient(built):
        publish(built, last_month())
        yield built


def publish(app: Any, envelopes: list[Any]) -> None:
    publisher = app.state.platform.bus.publisher()
    publisher.publish(list(search_corpus.messages(iter(envelopes))))
    publisher.close()
    drain(app)


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as anonymous:
        yield anonymous


def dashboard(client: TestClient) -> dict[str, Any]:
    form = {"username": "leader", "password": PASSWORDS["leader"]}
    token = client.post("/api/v1/auth/token", data=form).json()["access_token"]
    found = client.get(
        "/api/v1/dashboard",
        params={"month": MONTH},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert found.status_code == 200, found.text
    client.cookies.clear()  # signing in also set the session cookie: stay anonymous
    board: dict[str, Any] = found.json()
    return board


def ranked(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["rank"], r["key"], r.get("m_rated", r.get("rated")), *(r[k] for k in RATES))
            for r in rows]  # fmt: skip


def test_last_month_is_published_with_the_dashboards_figures(client: TestClient) -> None:
    board = dashboard(client)
    answer = client.get(f"/api/v1/public/months/{MONTH}")
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert shown["month"] == MONTH and shown["root"] is None and shown["min_count"] == 2
    assert ranked(shown["departments"]) == ranked(board["departments"])
    assert ranked(shown["streets"]) == ranked(board["streets"])
    assert shown["city"]["rated"] == board["city"]["m_rated"] == 5
    assert shown["received"] == {"count": 9, "suppressed": False}
    # phone 5; web, app, email and proactive 1 each: hidden, together 4.
    channels = {c["key"]: (c["count"], c["suppressed"]) for c in shown["channels"]}
    assert channels["phone"] == (5, False)
    assert {channels[k] for k in ("web", "app", "email", "proactive")} == {(None, True)}
    assert [(c["key"], c["count"]) for c in shown["categories"]] == [("01", 9)]
    listed = client.get("/api/v1/public/months").json()
    assert [m["month"] for m in listed["months"]] == [MONTH]


def test_published_figures_stay_frozen_when_a_late_event_arrives(
    app: Any, client: TestClient
) -> None:
    client.get(f"/api/v1/public/months/{MONTH}")  # published, whichever test runs first
    before = client.get(f"/api/v1/public/months/{MONTH}").json()
    late = story("zgc-000009", DAY + timedelta(days=2), "110108001001", channel="web",
                 answers=(True, True, "satisfied"))  # fmt: skip
    publish(app, late)
    assert dashboard(client)["totals"]["created_this_month"] == 10
    after = client.get(f"/api/v1/public/months/{MONTH}").json()
    assert after == before


def test_the_months_root_is_filled_in_once_every_day_is_sealed(
    app: Any, client: TestClient
) -> None:
    assert client.get(f"/api/v1/public/months/{MONTH}").json()["root"] is None
    sessions = sessionmaker(app.state.platform.engine)
    sealer = ledger.Sealer(ledgers(sessions))
    first = LAST_MONTH
    while first < THIS_MONTH:
        sealer.seal(first)
        first += timedelta(days=1)
    root = ledger.month_root(ledgers(sessions), MONTH)
    assert root is not None and len(root) == 64
    assert client.get(f"/api/v1/public/months/{MONTH}").json()["root"] == root
    listed = client.get("/api/v1/public/months").json()["months"]
    assert listed[0] == listed[0] | {"month": MONTH, "root": root}
    rows = csv.DictReader(io.StringIO(client.get(f"/api/v1/public/months/{MONTH}.csv").text))
    assert next(rows)["root"] == root


def test_a_month_not_closed_is_not_found_and_a_bad_one_is_refused(client: TestClient) -> None:
    current = THIS_MONTH.strftime("%Y-%m")
    missing = client.get(f"/api/v1/public/months/{current}", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "not published yet" in missing.json()["detail"]
    bad = client.get("/api/v1/public/months/2026-13")
    assert bad.status_code == 422 and "月份" in bad.json()["detail"]
    empty = client.get("/api/v1/public/months/2001-01.csv")
    assert empty.status_code == 404
    # "0000" has the form of a year but is none; the rest are not months at all.
    odd = ("0000-01", "0000-01.csv", "9999-12", "１９９９-０１", "2026-01%00", "2026-01.CSV")
    for month in odd:
        refused = client.get(f"/api/v1/public/months/{month}", headers={"Accept-Language": "en"})
        assert refused.status_code == 422, (month, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_the_csv_opens_in_excel_and_holds_the_json_figures(client: TestClient) -> None:
    answer = client.get(f"/api/v1/public/months/{MONTH}.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert f"hotline-public-{MONTH}.csv" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    shown = client.get(f"/api/v1/public/months/{MONTH}").json()
    departments = [r for r in rows if r["section"] == "departments"]
    assert [(r["key"], int(r["rated"]), float(r["score"])) for r in departments] == [
        (d["key"], d["rated"], d["score"]) for d in shown["departments"]
    ]
    web = next(r for r in rows if r["section"] == "channels" and r["key"] == "web")
    assert (web["count"], web["suppressed"]) == ("", "true")
    dictionary = client.get("/api/v1/public/dictionary").json()
    assert set(rows[0]) <= {f["name"] for f in dictionary["fields"]}


def test_staff_routes_still_ask_for_a_sign_in(client: TestClient) -> None:
    assert client.get("/api/v1/dashboard", params={"month": MONTH}).status_code == 401
    assert client.get("/api/v1/search").status_code == 401


def test_one_address_past_its_limit_gets_429_with_retry_after(client: TestClient) -> None:
    answers = [client.get("/api/v1/public/dictionary") for _ in range(PER_MINUTE + 1)]
    refused = answers[-1]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert client.get("/public").status_code == 429

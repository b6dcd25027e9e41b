"""The monthly ranking end to end, from events through stored ratings to the API and the
CSV, on SQLite and PostgreSQL. Every expected number is computed by hand in the comments
(default weights: 基本满意 = 0.8; score = 0.1 响应 + 0.45 解决 + 0.45 满意)."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support import peers as real_peers
from tests.support.feedback import Running, opened, running_feedback

APRIL = datetime(2026, 4, 15, 3, 0, tzinfo=UTC)
MAY = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)


def _answers(contacted: bool, solved: bool, satisfaction: str) -> dict[str, Any]:
    return {"contacted": contacted, "solved": solved, "satisfaction": satisfaction}


def _rate(fb: Running, link: str, *answers: Any) -> None:
    response = fb.rate(link, **_answers(*answers))
    assert response.status_code == 201, response.text


def _april(fb: Running) -> None:
    fb.clock.fixed = APRIL
    # t7: U-WATER leads, contact in time; contacted, solved, satisfied → 100/100/100.
    _, link = fb.resolved("20260415-0007", "U-WATER")
    _rate(fb, link, True, True, "satisfied")
    # t8: D-JXS leads, contact in time; contacted, not solved, dissatisfied → 100/0/0.
    _, link = fb.resolved("20260415-0008", "D-JXS")
    _rate(fb, link, True, False, "dissatisfied")


def _may(fb: Running) -> None:
    fb.clock.fixed = MAY
    # D-JXS, five ratings:
    # t1: in time; yes / solved / satisfied → responded.
    _, link = fb.resolved("20260510-0001", "D-JXS")
    _rate(fb, link, True, True, "satisfied")
    # t2: co-handled with U-WATER; in time; yes / solved / basically → counts for D-JXS only.
    _, link = fb.resolved("20260510-0002", "D-JXS", co="U-WATER")
    _rate(fb, link, True, True, "basically_satisfied")
    # t3 round 1: contact recorded after its deadline; the citizen says contacted, but not
    # in time → not responded; not solved, dissatisfied → reopened.
    t3, link = fb.resolved("20260510-0003", "D-JXS", contact="late")
    _rate(fb, link, True, False, "dissatisfied")
    # t3 round 2: in time; yes / solved / satisfied → a second rating for D-JXS.
    _, link = fb.resolved("", "D-JXS", ticket_id=t3, round_=2)
    _rate(fb, link, True, True, "satisfied")
    # t4: no contact recorded; the citizen says not contacted; solved, satisfied.
    _, link = fb.resolved("20260510-0004", "D-JXS", contact="none")
    _rate(fb, link, False, True, "satisfied")
    # D-ZGC, two ratings:
    # t5: U-WATER led first and returned it (退单); D-ZGC took over and resolved in time.
    t5 = fb.peers.ticket("20260510-0005")
    returned = fb.peers.dispatched(t5, "U-WATER")
    fb.peers.returned(t5, returned, "U-WATER")
    _, link = fb.resolved("", "D-ZGC", ticket_id=t5)
    _rate(fb, link, True, True, "satisfied")
    # t6: in time; answers taken by phone (回访): yes / not solved / basically.
    t6, _ = fb.resolved("20260510-0006", "D-ZGC")
    callback = fb.client.post(
        f"/api/v1/tickets/{t6}/callbacks",
        json={"reached": True, "answers": _answers(True, False, "basically_satisfied")},
        headers=fb.headers("agent1"),
    )
    assert callback.status_code == 201, callback.text
    # U-WATER, one rating of its own:
    # t9: no contact recorded; no / not solved / dissatisfied.
    _, link = fb.resolved("20260510-0009", "U-WATER", contact="none")
    _rate(fb, link, False, False, "dissatisfied")
    # t10: answered at the hotline: rated, but ranks no department.
    t10 = fb.peers.ticket("20260510-0010", category="政策咨询")
    fb.peers.answered_directly(t10)
    _rate(fb, opened(fb.peers.wait_for("RatingRequested", t10)[0]), True, True, "satisfied")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fb(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    data_dir: Path = tmp_path_factory.mktemp(f"rankings-{request.param}")
    url = ""
    if request.param == "postgresql":
        server: real_peers.Peer = request.getfixturevalue("postgres")
        name = f"fb{uuid.uuid4().hex[:10]}"
        real_peers.create_databases(server, (name,))
        url = server.url.replace("{db}", name)
    with running_feedback(data_dir, url, public_rate_limit=10_000) as running:
        _april(running)
        _may(running)
        yield running


def _ranking(fb: Running, month: str = "2026-05") -> dict[str, Any]:
    response = fb.client.get(f"/api/v1/rankings/{month}", headers=fb.headers("leader"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_may_is_ranked_as_computed_by_hand(fb: Running) -> None:
    table = _ranking(fb)
    rows = {r["department_code"]: r for r in table["rows"]}
    assert [(r["rank"], r["department_code"]) for r in table["rows"]] == [
        (1, "D-JXS"),
        (2, "D-ZGC"),
        (3, "U-WATER"),
    ]
    jxs = rows["D-JXS"]
    # 5 ratings: responded t1 t2 t3r2 = 3; solved t1 t2 t3r2 t4 = 4;
    # satisfied t1 t3r2 t4 = 3, basically t2 = 1, dissatisfied t3r1 = 1.
    assert [jxs[k] for k in ("rated", "responded", "solved", "satisfied")] == [5, 3, 4, 3]
    assert (jxs["basically_satisfied"], jxs["dissatisfied"]) == (1, 1)
    # 3/5 = 60 %, 4/5 = 80 %, (3 + 0.8)/5 = 76 %, 6 + 36 + 34.2 = 76.2.
    assert jxs["rates"] == {
        "response": 60.0,
        "resolution": 80.0,
        "satisfaction": 76.0,
        "score": 76.2,
    }
    zgc = rows["D-ZGC"]
    # 2 ratings, both in time; 1 solved; 1 satisfied + 1 basically: (1 + 0.8)/2 = 90 %;
    # 10 + 22.5 + 40.5 = 73.
    assert zgc["rates"] == {
        "response": 100.0,
        "resolution": 50.0,
        "satisfaction": 90.0,
        "score": 73.0,
    }
    water = rows["U-WATER"]
    # Only t9 (its co-handling of t2 and its returned t5 count for no one): all zero.
    assert water["rated"] == 1
    assert water["rates"] == {"response": 0.0, "resolution": 0.0, "satisfaction": 0.0, "score": 0.0}
    assert rows["D-JXS"]["department_name"] == "朝阳区建外街道办事处"


def test_month_over_month_change(fb: Running) -> None:
    rows = {r["department_code"]: r for r in _ranking(fb)["rows"]}
    # April: U-WATER 100 (rank 1), D-JXS 100/0/0 → 10 (rank 2); D-ZGC not rated.
    assert rows["D-JXS"]["rank_change"] == 1  # 2 → 1
    assert rows["D-JXS"]["changes"] == {
        "response": -40.0,
        "resolution": 80.0,
        "satisfaction": 76.0,
        "score": 66.2,
    }
    assert (rows["D-ZGC"]["rank_change"], rows["D-ZGC"]["changes"]) == (None, None)
    assert rows["U-WATER"]["rank_change"] == -2  # 1 → 3
    assert rows["U-WATER"]["changes"]["score"] == -100.0


def test_city_wide_totals(fb: Running) -> None:
    total = _ranking(fb)["total"]
    # 8 department ratings (t10 was answered at the hotline): 5 responded, 5 solved,
    # 4 satisfied + 2 basically → 5/8, 5/8, 5.6/8; score 6.25 + 28.125 + 31.5 = 65.875.
    assert [total[k] for k in ("rated", "responded", "solved", "satisfied")] == [8, 5, 5, 4]
    assert total["rates"] == {
        "response": 62.5,
        "resolution": 62.5,
        "satisfaction": 70.0,
        "score": 65.88,
    }


def test_april_and_the_current_month(fb: Running) -> None:
    april = _ranking(fb, "2026-04")
    assert [(r["department_code"], r["rates"]["score"]) for r in april["rows"]] == [
        ("U-WATER", 100.0),
        ("D-JXS", 10.0),
    ]
    current = fb.client.get("/api/v1/rankings", headers=fb.headers("leader")).json()
    assert (current["month"], current["current_month"]) == ("2026-05", "2026-05")
    future = fb.client.get("/api/v1/rankings/2026-06", headers=fb.headers("leader"))
    assert future.status_code == 422


def test_the_csv_export_matches_the_table(fb: Running) -> None:
    response = fb.client.get(
        "/api/v1/rankings/2026-05.csv", params={"lang": "en"}, headers=fb.headers("leader")
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="rankings-2026-05.csv"' in response.headers["content-disposition"]
    assert response.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [(r["rank"], r["department_code"], r["score"]) for r in rows] == [
        ("1", "D-JXS", "76.20"),
        ("2", "D-ZGC", "73.00"),
        ("3", "U-WATER", "0.00"),
    ]
    assert rows[0]["response_rate_change_pp"] == "-40.00"
    assert rows[1]["rank_change"] == "" and rows[1]["score_change"] == ""
    zh = fb.client.get("/api/v1/rankings/2026-05.csv", headers=fb.headers("leader")).text
    assert zh.lstrip("\ufeff").startswith("排名,名次变化,单位编码,单位名称,参评件数")


def test_the_table_is_reproducible_from_the_exported_ratings(fb: Running) -> None:
    """Recount the published ratings by hand rules and compare with the table."""
    response = fb.client.get(
        "/api/v1/rankings/2026-05/ratings.csv", headers=fb.headers("dispatcher")
    )
    assert response.status_code == 200
    ratings = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(ratings) == 9  # t10 included, without a department
    assert "comment" not in ratings[0] and "by" not in ratings[0]
    assert all(r["rated_at"].startswith("2026-05-10T03:00:00") for r in ratings)
    counts: Counter[tuple[str, str]] = Counter()
    for r in ratings:
        if not r["department_code"]:
            continue
        code = r["department_code"]
        counts[code, "rated"] += 1
        counts[code, "responded"] += r["contacted"] == r["contact_on_time"] == "true"
        counts[code, "solved"] += r["solved"] == "true"
        counts[code, r["satisfaction"]] += 1
    for row in _ranking(fb)["rows"]:
        code = row["department_code"]
        assert row["rated"] == counts[code, "rated"]
        assert row["responded"] == counts[code, "responded"]
        assert row["solved"] == counts[code, "solved"]
        assert row["satisfied"] == counts[code, "satisfied"]
        assert row["basically_satisfied"] == counts[code, "basically_satisfied"]
        assert row["dissatisfied"] == counts[code, "dissatisfied"]

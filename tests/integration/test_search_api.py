"""The search service as built by its bootstrap, on real SQLite files and the embedded bus:
events published on the bus are folded, indexed and found through the HTTP API."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from benchmarks import search_corpus
from services.common.bus.embedded import EmbeddedBus
from services.common.settings import Settings
from services.search.adapters.index import TIME_ZONE
from services.search.bootstrap import build
from tests.support import evidence
from tests.support.harness import PASSWORDS, drain, driven

NOW = datetime.now(UTC)
TICKETS = 50


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("search-api"))
    envelopes = list(search_corpus.history(TICKETS, NOW))
    publisher = EmbeddedBus(settings.bus_path).publisher()
    publisher.publish(list(search_corpus.messages(iter(envelopes))))
    publisher.close()
    app = driven(build(settings))
    with TestClient(app) as test_client:
        login(test_client, "dispatcher")
        drain(app, timeout=60)
        expected = len({e.ticket_id for e in envelopes})
        assert test_client.get("/api/v1/search").json()["total"] == expected
        yield test_client


def login(client: TestClient, username: str) -> None:
    response = client.post(
        "/api/v1/auth/token", data={"username": username, "password": PASSWORDS[username]}
    )
    assert response.status_code == 200


def as_user(client: TestClient, username: str) -> dict[str, str]:
    """Bearer headers for `username`; the client's own session cookie stays as it was."""
    saved = dict(client.cookies)
    token = client.post(
        "/api/v1/auth/token", data={"username": username, "password": PASSWORDS[username]}
    ).json()["access_token"]
    client.cookies.clear()
    client.cookies.update(saved)
    return {"Authorization": f"Bearer {token}"}


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_full_text_with_highlights_facets_and_names(client: TestClient) -> None:
    found = search(client, q="噪音", facets="category_code,district_code,status")
    assert found["total"] > 0 and found["sort"] == "relevance"
    assert all("噪音" in hit["description"] for hit in found["hits"])
    assert all("<mark>噪音</mark>" in hit["highlight"]["description"] for hit in found["hits"])
    categories = {b["key"]: b for b in found["facets"]["category_code"]}
    assert categories["010101"]["label"] == "噪音扰民"
    districts = {b["key"]: b["label"] for b in found["facets"]["district_code"]}
    assert districts["110105"] == "朝阳区"
    assert sum(b["count"] for b in found["facets"]["status"]) == found["total"]


def test_filters_by_area_prefix_category_department_and_dates(client: TestClient) -> None:
    street = search(client, area="110105001", limit=100)
    assert street["total"] > 0
    assert all(h["area_code"].startswith("110105001") for h in street["hits"])
    water = search(client, category="0201", department="U-WATER")
    assert all(h["category_code"].startswith("0201") for h in water["hits"])
    day = (NOW - timedelta(days=3)).astimezone(TIME_ZONE).date()
    recent = search(client, **{"from": day.isoformat(), "sort": "oldest", "limit": 100})
    midnight = datetime.combine(day, time(), TIME_ZONE)
    assert all(datetime.fromisoformat(h["created_at"]) >= midnight for h in recent["hits"])
    assert 0 < recent["total"] < search(client)["total"]


def test_overdue_tickets_are_open_and_past_their_deadline(client: TestClient) -> None:
    overdue = search(client, overdue="true", sort="due", limit=100)
    assert overdue["total"] > 0
    for hit in overdue["hits"]:
        assert hit["overdue"] and hit["is_open"]
        assert datetime.fromisoformat(hit["due_at"]) < datetime.now(UTC)


def test_cursor_pages_cover_the_result_once(client: TestClient) -> None:
    first = search(client, sort="newest", limit=40)
    seen = [h["ticket_id"] for h in first["hits"]]
    token = first["next"]
    while token:
        page = search(client, sort="newest", limit=40, after=token)
        seen += [h["ticket_id"] for h in page["hits"]]
        token = page["next"]
    assert len(seen) == len(set(seen)) == first["total"]


def test_department_staff_find_only_their_departments_tickets(client: TestClient) -> None:
    headers = as_user(client, "chaoyang-jxs")
    found = client.get("/api/v1/search", params={"limit": 100}, headers=headers).json()
    assert found["total"] > 0
    assert all("D-JXS" in h["department_codes"] for h in found["hits"])
    other = search(client, department="D-ZGC", limit=1)["hits"][0]["ticket_id"]
    assert client.get(f"/api/v1/tickets/{other}", headers=headers).status_code == 404
    asked = client.get("/api/v1/search", params={"department": "D-ZGC"}, headers=headers)
    assert asked.json()["total"] == 0
    assert client.get(f"/api/v1/tickets/{other}/timeline").status_code == 200


def test_the_timeline_says_who_and_when(client: TestClient) -> None:
    ticket_id = search(client, q="噪音", limit=1)["hits"][0]["ticket_id"]
    timeline = client.get(f"/api/v1/tickets/{ticket_id}/timeline").json()
    assert timeline[0]["type"] == "TicketCreated" and timeline[0]["by"] in ("agent1", "agent2")
    assert all(entry["at"] and entry["by"] for entry in timeline)
    missing = client.get("/api/v1/tickets/nope", headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and missing.json()["detail"] == "Ticket nope not found"


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"colour": "red"}, "query.colour", "extra_forbidden"),
        ({"q": '"噪音'}, "q", "search.query_unclosed_quote"),
        ({"q": "-噪音"}, "q", "search.query_only_exclusions"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "to", "search.range_backwards"),
        ({"from": "yesterday"}, "from", "search.bad_date"),
        ({"status": "lost"}, "status", "search.bad_choice"),
        ({"offset": "9990", "limit": "50"}, "offset", "search.too_deep"),
        ({"limit": "0"}, "query.limit", "greater_than_equal"),
        ({"limit": "many"}, "query.limit", "int_parsing"),
        ({"to": "9999-12-31"}, "to", "search.date_out_of_range"),
        ({"after": "not-a-cursor", "sort": "newest"}, "after", "search.bad_cursor"),
        ({"after": "x", "q": "噪音"}, "after", "search.cursor_needs_sort"),
        ({"facets": "description"}, "facets", "search.bad_choice"),
    ],
)
def test_bad_input_is_a_clear_422(
    client: TestClient, params: dict[str, str], field: str, code: str
) -> None:
    for lang in ("zh-CN", "en"):
        response = client.get("/api/v1/search", params=params, headers={"Accept-Language": lang})
        assert response.status_code == 422, response.text
        problem = response.json()
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)]
        assert response.headers["content-language"] == lang
        assert problem["detail"] and "Traceback" not in response.text


def test_huge_pages_are_clamped_and_pages_past_the_end_are_empty(client: TestClient) -> None:
    assert search(client, limit=5000)["limit"] == 100
    past = search(client, offset=9000, limit=10)
    assert past["hits"] == [] and past["total"] > 0


def test_csv_export_of_a_result_set(client: TestClient) -> None:
    response = client.get(
        "/api/v1/search/export", params={"q": "停水"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:2] == ["Number", "Status"]
    assert len(rows) - 1 == search(client, q="停水")["total"]
    assert all("停水" in row[-1] for row in rows[1:])
    channel = rows[0].index("Channel")
    assert {row[channel] for row in rows[1:]} == {"Phone"}
    chinese = client.get("/api/v1/search/export", params={"q": "停水", "limit": "5"})
    assert chinese.status_code == 422  # paging has no meaning for an export


def test_hot_spots_find_the_spike_with_its_tickets(client: TestClient) -> None:
    found = client.get("/api/v1/hotspots", params={"min_count": 5}).json()
    top = found["spots"][0]
    category, area = search_corpus.SPIKE
    assert (top["category_code"], top["area_code"]) == (category, area[:9])
    assert top["category_name"] == "噪音扰民" and top["area_name"] == "建外街道"
    assert top["count"] >= 12 and top["score"] > 3 and len(top["weekly"]) == 8
    assert top["tickets"] and all(t["number"] for t in top["tickets"])
    agent = as_user(client, "agent1")
    assert client.get("/api/v1/hotspots", headers=agent).status_code == 403


def test_the_dashboard_adds_up(client: TestClient) -> None:
    board = client.get("/api/v1/dashboard", params={"months": 3}).json()
    assert board["sla"] and all(0 <= m["compliance"] <= 1 for m in board["sla"])
    resolved = sum(m["m_resolved"] for m in board["sla"])
    assert resolved == search(client, status="resolved,closed", limit=1)["total"]
    rates = {row["key"]: row for row in board["rates_window"]}
    assert rates["D-JXS"]["label"] == "朝阳区建外街道办事处"
    for row in rates.values():
        assert 0 <= row["satisfaction_rate"] <= 1 and row["m_rated"] > 0
    assert sum(row["count"] for row in board["overdue"]) == board["totals"]["overdue"]
    assert board["hotspots"][0]["area_code"] == search_corpus.SPIKE[1][:9]


def test_channels_photos_and_the_frequent_caller_cue(client: TestClient) -> None:
    """Last in the module: it adds tickets from the portal, the app and email."""
    before = {b["key"]: b["count"] for b in search(client)["facets"]["channel"]}
    stories = {
        f"ev-{channel}-{n:04d}": channel
        for channel, count in (("web", 3), ("app", 2), ("email", 1))
        for n in range(count)
    }
    envelopes = [
        e
        for ticket_id, channel in stories.items()
        for e in evidence.with_photos(ticket_id, NOW - timedelta(hours=3), channel)
    ]
    publisher = client.app.state.platform.bus.publisher()  # type: ignore[attr-defined]
    publisher.publish(list(search_corpus.messages(iter(envelopes))))
    publisher.close()
    drain(client.app)
    channels = {b["key"]: b["count"] for b in search(client)["facets"]["channel"]}
    assert channels == before | {"web": 3, "app": 2, "email": 1}
    assert search(client, channel="web,email")["total"] == 4
    board = client.get("/api/v1/dashboard", params={"months": 3}).json()
    volume = {row["key"]: row["count"] for row in board["channels"]}
    assert volume == {"phone": before["phone"], "web": 3, "app": 2, "email": 1}
    assert [row["key"] for row in board["channels"]][-2:] == ["app", "email"]
    doc = client.get("/api/v1/tickets/ev-web-0000").json()
    assert (doc["channel"], doc["frequent_caller"]) == ("web", True)
    assert [kind for kind, _ in evidence.photos_on_timeline(doc["timeline"])] == [
        "TicketCreated",
        "CitizenContacted",
        "AssignmentResolved",
    ]
    timeline = client.get("/api/v1/tickets/ev-web-0000/timeline").json()
    assert evidence.photos_on_timeline(timeline) == evidence.photos_on_timeline(doc["timeline"])

"""One call, end to end: intake → dispatch → feedback → search, through the real bus."""

from __future__ import annotations

from typing import Any

from tests.support.harness import Cluster, call_body, eventually


def _searchable(cluster: Cluster, q: str, ticket_id: str) -> dict[str, Any] | None:
    with cluster.client("search", "dispatcher") as search:
        hits = search.get("/api/v1/search", params={"q": q}).json()["hits"]
    found = [h for h in hits if h["ticket_id"] == ticket_id and h["status"] == "dispatched"]
    return found[0] if found else None


def test_a_call_becomes_a_dispatched_tracked_searchable_ticket(cluster: Cluster) -> None:
    with cluster.client("intake", "agent1") as intake:
        response = intake.post("/api/v1/calls", json=call_body())
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert ticket["caller_masked"] == "138****5678"
    assert "13812345678" not in response.text

    doc = eventually(lambda: _searchable(cluster, "噪音", ticket["id"]))
    assert doc["department_code"] == "D-JXS"
    assert doc["number"] == ticket["number"]
    assert [e["type"] for e in doc["timeline"]] == ["TicketCreated", "AssignmentDispatched"]
    assert "13812345678" not in str(doc)

    with cluster.client("dispatch", "dispatcher") as dispatch:
        assignments = dispatch.get("/api/v1/assignments", params={"ticket_id": ticket["id"]}).json()
    assert [(a["department_code"], a["rule"]) for a in assignments] == [
        ("D-JXS", "territory:street")
    ]

    with cluster.client("feedback", "leader") as feedback:
        tracked = eventually(
            lambda: feedback.get(f"/api/v1/tickets/{ticket['id']}/assignments").json()
        )
    assert tracked[0]["assignment_id"] == assignments[0]["id"]

    with cluster.client("intake", "agent1") as intake:
        seen = eventually(
            lambda: intake.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "dispatched"
        )
    assert seen


def test_a_word_not_in_any_ticket_finds_nothing(cluster: Cluster) -> None:
    with cluster.client("search", "dispatcher") as search:
        assert search.get("/api/v1/search", params={"q": "火箭发射"}).json()["total"] == 0


def test_department_staff_see_only_their_own_assignments(cluster: Cluster) -> None:
    with cluster.client("intake", "agent1") as intake:
        water = intake.post(
            "/api/v1/calls", json=call_body(category_code="020101", description="小区停水三天")
        ).json()
    with cluster.client("dispatch", "dispatcher") as dispatch:
        assignment = eventually(
            lambda: dispatch.get("/api/v1/assignments", params={"ticket_id": water["id"]}).json()
        )[0]
    with cluster.client("dispatch", "chaoyang-jxs") as street:
        assert street.get(f"/api/v1/assignments/{assignment['id']}").status_code == 404
        listed = street.get("/api/v1/assignments").json()
        assert all(a["department_code"] == "D-JXS" for a in listed)
    with cluster.client("dispatch", "water") as utility:
        assert utility.get(f"/api/v1/assignments/{assignment['id']}").status_code == 200
    with cluster.client("search", "chaoyang-jxs") as street_search:
        assert street_search.get(f"/api/v1/tickets/{water['id']}").status_code == 404


def test_every_service_reports_health_readiness_and_metrics(cluster: Cluster) -> None:
    import httpx

    for service in ("intake", "dispatch", "feedback", "search"):
        assert httpx.get(f"{cluster.url(service)}/healthz").status_code == 200
        ready = httpx.get(f"{cluster.url(service)}/readyz")
        assert ready.json()["ready"] is True
        assert ready.json()["checks"]["bus"] is True
        metrics = httpx.get(f"{cluster.url(service)}/metrics").text
        assert "hotline_outbox_backlog" in metrics
        assert "hotline_http_requests_total" in metrics
    search_checks = httpx.get(f"{cluster.url('search')}/readyz").json()["checks"]
    assert search_checks == {
        "database": True,
        "bus": True,
        "index": True,
        "consumer:search": True,
        "consumer:search-audit": True,
        "consumer:search-sessions": True,
    }
    consumed = httpx.get(f"{cluster.url('dispatch')}/metrics").text
    assert 'hotline_events_processed_total{consumer="dispatch",type="TicketCreated"}' in consumed


def test_the_street_office_works_its_ticket_through_the_dispatch_api(cluster: Cluster) -> None:
    with cluster.client("intake", "agent1") as intake:
        body = call_body(description="楼道内堆放大量杂物，存在消防隐患")
        ticket = intake.post("/api/v1/calls", json=body).json()
    with cluster.client("dispatch", "chaoyang-jxs") as street:
        assignment = eventually(
            lambda: street.get("/api/v1/assignments", params={"ticket_id": ticket["id"]}).json()
        )[0]
        assert set(assignment["clocks"]) == {"acknowledge", "contact", "resolve"}
        base = f"/api/v1/assignments/{assignment['id']}"
        for step, payload in (
            ("acknowledge", {}),
            ("contact", {"note": "已电话联系市民"}),
            ("resolve", {"outcome": "已协调物业清理杂物"}),
        ):
            response = street.post(f"{base}/{step}", json=payload)
            assert response.status_code == 200, response.text
        again = street.post(f"{base}/acknowledge")
    assert again.status_code == 409
    done = response.json()
    assert done["status"] == "resolved" and done["resolved_by"] == "chaoyang-jxs"
    assert [h["type"] for h in done["history"]] == [
        "AssignmentDispatched",
        "AssignmentAcknowledged",
        "CitizenContacted",
        "AssignmentResolved",
    ]


def _found(cluster: Cluster, params: dict[str, str], ticket_id: str) -> dict[str, Any] | None:
    with cluster.client("search", "dispatcher") as search:
        page: dict[str, Any] = search.get("/api/v1/search", params=params).json()
    return page if any(h["ticket_id"] == ticket_id for h in page["hits"]) else None


def test_search_narrows_by_area_and_category_and_tells_the_story(cluster: Cluster) -> None:
    with cluster.client("intake", "agent1") as intake:
        body = call_body(description="建国里小区夜间施工噪音扰民，凌晨还在打桩")
        ticket = intake.post("/api/v1/calls", json=body).json()
    params = {"q": "打桩", "area": "110105001", "category": "0101", "facets": "district_code"}
    found = eventually(lambda: _found(cluster, params, ticket["id"]))
    hit = next(h for h in found["hits"] if h["ticket_id"] == ticket["id"])
    assert "<mark>打桩</mark>" in hit["highlight"]["description"]
    district = found["facets"]["district_code"][0]
    assert (district["key"], district["label"]) == ("110105", "朝阳区")
    assert _found(cluster, {**params, "area": "110108"}, ticket["id"]) is None
    with cluster.client("search", "dispatcher") as search:
        timeline = search.get(f"/api/v1/tickets/{ticket['id']}/timeline").json()
    assert (timeline[0]["type"], timeline[0]["by"]) == ("TicketCreated", "agent1")
    with cluster.client("search", "leader") as leader:
        board = leader.get("/api/v1/dashboard").json()
        assert {"sla", "departments", "overdue", "hotspots", "totals"} <= board.keys()
        assert board["totals"]["open"] >= 1
        assert leader.get("/api/v1/hotspots").status_code == 200

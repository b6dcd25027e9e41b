"""Bad input to feedback gets a clear 4xx in the caller's language and stores nothing; a
link never tells anything about another ticket; public routes are rate limited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.feedback import Running, link_parts, running_feedback
from tests.support.harness import drain

FINE: dict[str, Any] = {"contacted": True, "solved": True, "satisfaction": "satisfied"}


@pytest.fixture(scope="module")
def fb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data_dir: Path = tmp_path_factory.mktemp("feedback-bad")
    # The limiter has its own test below; here it must not count these tests' requests.
    with running_feedback(data_dir, public_rate_limit=10_000) as running:
        yield running


@pytest.fixture(scope="module")
def pending(fb: Running) -> tuple[str, str]:
    """A ticket whose invitation stays unanswered through these tests."""
    return fb.resolved("20260511-0001", "D-JXS")


def _stored(fb: Running) -> tuple[int, int]:
    return fb.count("ratings"), fb.count("callbacks")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contacted": "maybe"}, "contacted"),
        ({"contacted": "yes"}, "contacted"),
        ({"contacted": 1}, "contacted"),
        ({"solved": None}, "solved"),
        ({"satisfaction": "very"}, "satisfaction"),
        ({"satisfaction": ""}, "satisfaction"),
        ({"comment": "吵" * 501}, "comment"),
        ({"stars": 5}, "stars"),
        ({"satisfaction": None}, "satisfaction"),
    ],
)
def test_answers_outside_the_allowed_values_are_refused(
    fb: Running, pending: tuple[str, str], change: dict[str, Any], field: str
) -> None:
    before = _stored(fb)
    response = fb.rate(pending[1], **(FINE | change))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert _stored(fb) == before


def test_a_missing_answer_or_token_is_named(fb: Running, pending: tuple[str, str]) -> None:
    ticket_id, _ = pending
    response = fb.client.post(
        f"/api/v1/tickets/{ticket_id}/ratings",
        json={"contacted": True},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert {"token", "solved", "satisfaction"} <= {e["field"] for e in response.json()["errors"]}
    assert response.headers["content-language"] == "en"


def test_not_json_is_a_400(fb: Running, pending: tuple[str, str]) -> None:
    response = fb.client.post(
        f"/api/v1/tickets/{pending[0]}/ratings",
        content=b"{contacted: yes",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_a_forged_link_and_a_link_for_another_ticket_look_the_same(
    fb: Running, pending: tuple[str, str]
) -> None:
    _, link = pending
    other_ticket, _ = fb.resolved("20260511-0002", "D-ZGC")
    _, token = link_parts(link)
    before = _stored(fb)
    forged = fb.rate(link[:-4] + "AAAA", **FINE)
    elsewhere = fb.client.post(
        f"/api/v1/tickets/{other_ticket}/ratings", json={"token": token, **FINE}
    )
    nowhere = fb.client.post(
        "/api/v1/tickets/no-such-ticket/ratings", json={"token": token, **FINE}
    )
    peek = fb.client.get(f"/api/v1/tickets/{other_ticket}/invitation", params={"token": token})
    for response in (forged, elsewhere, nowhere, peek):
        assert response.status_code == 404
        assert response.json()["type"].endswith("feedback.link_invalid")
    strip = {"instance"}
    assert {k: v for k, v in elsewhere.json().items() if k not in strip} == {
        k: v for k, v in forged.json().items() if k not in strip
    }
    assert "20260511-0002" not in peek.text and "中关村" not in peek.text
    assert _stored(fb) == before
    assert fb.rate(link, **FINE).status_code == 201  # the genuine link still works once


def test_only_agents_record_callbacks(fb: Running) -> None:
    ticket_id, _ = fb.resolved("20260511-0003", "U-WATER")
    url = f"/api/v1/tickets/{ticket_id}/callbacks"
    body = {"reached": True, "answers": FINE}
    before = _stored(fb)
    for username in ("dispatcher", "leader", "water", "chaoyang-jxs"):
        response = fb.client.post(url, json=body, headers=fb.headers(username))
        assert response.status_code == 403, username
    fb.client.cookies.clear()
    assert fb.client.post(url, json=body).status_code == 401
    assert _stored(fb) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reached": True}, "answers"),
        ({"reached": False, "answers": FINE}, "answers"),
        ({"reached": "yes", "answers": FINE}, "reached"),
        ({"reached": True, "answers": FINE | {"satisfaction": "so-so"}}, "answers.satisfaction"),
        ({"reached": True, "answers": FINE, "note": "x" * 501}, "note"),
    ],
)
def test_callbacks_with_bad_answers_are_refused(
    fb: Running, pending: tuple[str, str], body: dict[str, Any], field: str
) -> None:
    ticket_id, _ = pending
    before = _stored(fb)
    response = fb.client.post(
        f"/api/v1/tickets/{ticket_id}/callbacks", json=body, headers=fb.headers("agent1", "en")
    )
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert _stored(fb) == before


def test_callbacks_need_a_ticket_awaiting_an_answer(fb: Running) -> None:
    headers = fb.headers("agent1")
    body = {"reached": False}
    missing = fb.client.post("/api/v1/tickets/nope/callbacks", json=body, headers=headers)
    assert missing.status_code == 404
    ticket_id = fb.peers.ticket("20260511-0004")
    fb.peers.dispatched(ticket_id, "D-JXS")

    drain(fb.client.app)  # type: ignore[arg-type]
    tracked = fb.client.get(f"/api/v1/tickets/{ticket_id}/feedback", headers=headers)
    assert tracked.status_code == 200, tracked.text
    unresolved = fb.client.post(
        f"/api/v1/tickets/{ticket_id}/callbacks", json=body, headers=headers
    )
    assert unresolved.status_code == 409
    assert unresolved.json()["type"].endswith("feedback.not_awaiting_rating")


@pytest.mark.parametrize("path", ["/api/v1/rankings/{m}", "/api/v1/rankings/{m}.csv"])
@pytest.mark.parametrize(
    ("month", "code"),
    [("2999-01", "month_in_future"), ("2026-13", "invalid_month"), ("May", "invalid_month")],
)
def test_a_month_in_the_future_or_malformed_is_refused(
    fb: Running, path: str, month: str, code: str
) -> None:
    response = fb.client.get(path.format(m=month), headers=fb.headers("leader", "en"))
    assert response.status_code == 422
    assert response.json()["type"].endswith(f"feedback.{code}")
    assert response.json()["errors"][0]["field"] == "month"


def test_only_leaders_and_dispatchers_see_rankings(fb: Running) -> None:
    for username, status in (("leader", 200), ("dispatcher", 200), ("agent1", 403), ("water", 403)):
        assert fb.client.get("/api/v1/rankings", headers=fb.headers(username)).status_code == status


def test_department_staff_see_only_their_own_tickets_feedback(fb: Running) -> None:
    ticket_id, _ = fb.resolved("20260511-0005", "U-WATER")
    own = fb.client.get(f"/api/v1/tickets/{ticket_id}/feedback", headers=fb.headers("water"))
    other = fb.client.get(
        f"/api/v1/tickets/{ticket_id}/feedback", headers=fb.headers("chaoyang-jxs")
    )
    assert own.status_code == 200
    assert other.status_code == 404
    assert other.json()["type"].endswith("feedback.ticket_not_found")


def test_public_routes_are_rate_limited(tmp_path: Path) -> None:
    with running_feedback(tmp_path, public_rate_limit=3, public_rate_window_seconds=600) as fb:
        url = "/api/v1/tickets/t/invitation"
        answers = [fb.client.get(url, params={"token": "x"}) for _ in range(3)]
        assert [a.status_code for a in answers] == [404, 404, 404]
        refused = fb.client.post("/api/v1/tickets/t/ratings", json={"token": "x", **FINE})
        assert refused.status_code == 429
        assert refused.json()["type"].endswith("feedback.rate_limited")
        assert 1 <= int(refused.headers["retry-after"]) <= 600
        assert fb.client.get("/api/v1/rankings", headers=fb.headers("leader")).status_code == 200

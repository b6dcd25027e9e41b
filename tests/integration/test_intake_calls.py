"""Calls on a real SQLite database through the API: duplicates and attaching, supervision
on the third call, direct answers, address resolution, the caller's privacy."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from proto.feedback import TicketClosed
from services.common.settings import Settings
from services.intake.bootstrap import build
from tests.support.harness import drain, driven
from tests.support.intake import IntakeApi, app_of, count, dump, outbox, publish

PHONE = "13812345678"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("intake-calls")
    with TestClient(driven(build(Settings(data_dir=data_dir)))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def api(client: TestClient) -> IntakeApi:
    return IntakeApi(client)


def _place(n: int) -> str:
    """A distinct community of 建外街道 per test, so tests do not see each other's tickets."""
    return [
        "110105001001",
        "110105001002",
        "110105001024",
        "110105001025",
        "110105001027",
        "110105001029",
        "110105001033",
        "110105001034",
    ][n]


def test_the_third_call_raises_the_ticket_for_supervision(
    api: IntakeApi, client: TestClient
) -> None:
    first = api.call(area_code=_place(0)).json()
    second = api.call(
        "agent2", area_code=_place(0), duplicate_of=first["id"], caller_phone="13900001111"
    )
    third = api.call(area_code=_place(0), duplicate_of=first["id"], caller_phone=None)
    assert second.status_code == third.status_code == 201
    assert (second.json()["outcome"], second.json()["calls"]) == ("attached", 2)
    assert (third.json()["id"], third.json()["calls"]) == (first["id"], 3)
    fourth = api.call(area_code=_place(0), duplicate_of=first["id"]).json()
    types = [kind for kind, _ in outbox(client, first["id"])]
    assert types == [
        "TicketCreated",
        "CallAttached",
        "CallAttached",
        "TicketRaisedForSupervision",
        "CallAttached",
    ]
    raised = dict(outbox(client, first["id"]))["TicketRaisedForSupervision"]
    assert (raised["calls"], raised["raised_by"], raised["reason"]) == (3, "agent1", "repeat_calls")
    assert fourth["calls"] == 4
    attached = [p for kind, p in outbox(client, first["id"]) if kind == "CallAttached"]
    assert [a["attached_by"] for a in attached] == ["agent2", "agent1", "agent1"]
    # Callers are named by intake's random references: a number, then the same number again
    # (attached[1] is anonymous), never anything derived from the number.
    assert attached[0]["has_phone"] is True and attached[0]["caller_ref"].startswith("cr_")
    assert (attached[1]["has_phone"], attached[1]["caller_ref"]) == (False, None)
    assert attached[0]["caller_masked"] is None and "1111" not in str(attached)


def test_duplicates_are_open_tickets_at_the_place_by_category_or_text(api: IntakeApi) -> None:
    noise = api.call(area_code=_place(1)).json()
    similar = api.call(
        area_code=_place(1), category_code="010501", description="永安里小区夜间施工噪音，影响休息"
    ).json()
    unrelated = api.call(area_code=_place(1), category_code="020101", description="小区停水").json()
    elsewhere = api.call(area_code=_place(2)).json()
    found = api.get(
        "/api/v1/duplicates", area_code=_place(1), category_code="010101", text="夜间施工噪音扰民"
    ).json()
    ids = [d["ticket"]["id"] for d in found]
    assert ids[0] == noise["id"] and similar["id"] in ids and unrelated["id"] not in ids
    # Another community of the street comes only as the same thing said there.
    kinds = {d["ticket"]["id"]: d["kind"] for d in found}
    assert kinds[noise["id"]] == "same_category" and kinds.get(elsewhere["id"]) == "same_meaning"
    by_street = api.get("/api/v1/duplicates", area_code="110105001", category_code="010101").json()
    assert {noise["id"], elsewhere["id"]} <= {d["ticket"]["id"] for d in by_street}


def test_a_closed_ticket_is_no_duplicate_and_cannot_take_calls(
    api: IntakeApi, client: TestClient
) -> None:
    ticket = api.call(area_code=_place(3)).json()
    publish(
        client, TicketClosed(reason="satisfied", at=datetime.now(UTC)), ticket["id"], "feedback"
    )
    drain(app_of(client))
    assert api.get(f"/api/v1/tickets/{ticket['id']}").json()["status"] == "closed"
    found = api.get("/api/v1/duplicates", area_code=_place(3), category_code="010101").json()
    assert ticket["id"] not in [d["ticket"]["id"] for d in found]
    before = (count(client, "calls"), count(client, "outbox"))
    response = api.call(area_code=_place(3), duplicate_of=ticket["id"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "duplicate_of"
    assert "已办结" in response.json()["detail"]
    assert (count(client, "calls"), count(client, "outbox")) == before


def test_attaching_to_a_missing_ticket_stores_nothing(api: IntakeApi, client: TestClient) -> None:
    before = (count(client, "calls"), count(client, "outbox"), count(client, "tickets"))
    response = api.call(lang="en", duplicate_of="no-such-ticket")
    assert response.status_code == 422
    assert "does not exist" in response.json()["detail"]
    assert (count(client, "calls"), count(client, "outbox"), count(client, "tickets")) == before


def test_a_consultation_is_answered_directly_and_closed(api: IntakeApi, client: TestClient) -> None:
    hits = api.get("/api/v1/knowledge", q="社保卡丢了怎么补办").json()
    assert hits[0]["id"] == "kb-sbk-bb"
    response = api.call(
        request_type="consultation",
        category_code="040107",
        description="社保卡丢了怎么办",
        answer={"text": hits[0]["answer"], "entry_id": hits[0]["id"]},
    )
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert (ticket["outcome"], ticket["status"]) == ("answered", "answered")
    assert ticket["closed_at"] is not None and ticket["knowledge_entry_id"] == "kb-sbk-bb"
    events = outbox(client, ticket["id"])
    assert [kind for kind, _ in events] == ["TicketCreated", "TicketAnsweredDirectly"]
    assert events[0][1]["answered_directly"] is True
    assert events[1][1]["answered_by"] == "agent1"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answer": {"text": "请拨打12333"}}, "answer"),  # a complaint cannot be answered
        (
            {"request_type": "consultation", "answer": {"text": "x", "entry_id": "nope"}},
            "answer.entry_id",
        ),
        ({"request_type": "consultation", "answer": {"text": ""}}, "answer.text"),
        ({"request_type": "consultation", "answer": {"text": "x"}, "duplicate_of": "t"}, "answer"),
    ],
)
def test_bad_direct_answers_are_refused(
    api: IntakeApi, client: TestClient, change: dict[str, Any], field: str
) -> None:
    before = count(client, "tickets")
    response = api.call(**change)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert count(client, "tickets") == before


def test_a_free_text_address_resolves_or_is_answered_with_suggestions(api: IntakeApi) -> None:
    resolved = api.call(area_code=None, address="朝阳区建外街道永安里社区3号楼")
    assert resolved.status_code == 201
    assert resolved.json()["area_code"] == "110105001001"
    assert resolved.json()["address"] == "朝阳区建外街道永安里社区3号楼"
    vague = api.call(area_code=None, address="幸福社区")  # one in 东城, one in 海淀
    assert vague.status_code == 422
    body = vague.json()
    assert body["errors"][0]["field"] == "address"
    assert len(body["suggestions"]) >= 2
    assert [s["path"][-1] for s in body["suggestions"][:2]] == ["幸福社区", "幸福社区"]
    assert "幸福社区" in body["detail"]
    nowhere = api.call(area_code=None, address="火星殖民基地")
    assert nowhere.status_code == 422 and nowhere.json()["suggestions"] == []


def test_the_number_is_stored_encrypted_and_never_published_or_logged(
    api: IntakeApi, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        ticket = api.call(caller_phone="+86 138-1234-5678", area_code=_place(4)).json()
        api.call(duplicate_of=ticket["id"], caller_phone="13812345678", area_code=_place(4))
    assert ticket["caller_masked"] == "138****5678"
    for table in ("tickets", "calls", "outbox"):
        assert PHONE not in dump(client, table)
    assert PHONE not in str(outbox(client))
    assert PHONE not in caplog.text
    calls = api.get("/api/v1/calls", limit=2).json()
    assert PHONE not in str(calls) and calls[0]["revealable"] is True


def test_only_the_agent_who_took_the_call_sees_the_number(
    api: IntakeApi, client: TestClient
) -> None:
    api.call(area_code=_place(5))
    mine = api.get("/api/v1/calls", limit=1).json()[0]
    path = f"/api/v1/calls/{mine['call_id']}/phone"
    assert api.get(path).json() == {"phone": PHONE}
    for other in ("agent2", "admin"):
        refused = api.get(path, user=other)
        assert refused.status_code == 403, other
    assert api.get(path, user="dispatcher").status_code == 403
    # Every reveal and every refused agent is in the audit (a dispatcher is refused by role).
    assert count(client, "privacy_audit") >= 2
    assert api.get("/api/v1/calls/nope/phone").status_code == 404


def test_metrics_count_calls_by_channel_type_and_outcome(
    api: IntakeApi, client: TestClient
) -> None:
    api.call(channel="app", request_type="suggestion", form_seconds=42.5, area_code=_place(6))
    text = client.get("/metrics").text
    assert (
        'hotline_intake_calls_total{channel="app",outcome="created",request_type="suggestion"}'
        in text
    )
    assert "hotline_intake_duplicates_attached_total" in text
    assert "hotline_intake_form_fill_seconds_count" in text
    assert "hotline_intake_direct_answers_total" in text


def test_a_ticket_said_in_other_words_on_the_same_street_is_offered_with_its_why(
    api: IntakeApi,
) -> None:
    said = "人行道上乱停了一堆共享单车，推轮椅都走不了"
    same_street = api.call(area_code="110105001035", category_code="020101", description=said)
    other_street = api.call(area_code="110105002024", category_code="020101", description=said)
    unrelated = api.call(area_code="110105001035", category_code="020101", description="小区停水")
    found = api.get(
        "/api/v1/duplicates", area_code="110105001036", text="共享单车堆在人行道上，轮椅过不去"
    ).json()
    by_id = {d["ticket"]["id"]: d for d in found}
    match = by_id[same_street.json()["id"]]
    assert (match["kind"], match["same_category"]) == ("same_meaning", False)
    assert match["score"] == match["meaning"] >= 0.2 and "共享单车" in match["why"]
    assert other_street.json()["id"] not in by_id and unrelated.json()["id"] not in by_id
    by_category = api.get("/api/v1/duplicates", area_code="110105001035", category_code="020101")
    assert {d["kind"] for d in by_category.json()} == {"same_category"}

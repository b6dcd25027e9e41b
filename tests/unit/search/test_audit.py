"""The audit log's entries (services/search/domain/audit.py): what a row keeps of each
event, the words it is found by, and the cursor that continues a page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from proto.audit import ConfigurationChanged, PersonalDataAccessed
from proto.envelope import Envelope
from services.search.domain.audit import Position, entry, terms, view

AT = datetime(2026, 12, 3, 8, 30, tzinfo=UTC)


def test_a_configuration_change_keeps_its_record_before_and_after_and_its_words() -> None:
    event = ConfigurationChanged(
        kind="department", key="D-CG", action="change", version=4,
        before={"name": "城管委", "territory": ["110105"], "duty": {"phone": "010-1234"}},
        after={"name": "朝阳区城管委", "territory": ["110105", "110108"], "duty": None},
        summary="承办单位 D-CG 更名", by="admin", at=AT,
    )  # fmt: skip
    envelope = Envelope.wrap(event, producer="dispatch", ticket_id="config:department")
    row = entry(envelope, event)
    assert (row["event_id"], row["type"], row["kind"], row["key"], row["producer"]) == (
        envelope.event_id, "configuration", "department", "D-CG", "dispatch",
    )  # fmt: skip
    words = row["text"].split("\n")
    assert {"承办单位 d-cg 更名", "d-cg", "admin", "朝阳区城管委", "110108", "010-1234"} <= set(
        words
    )
    assert not {"name", "territory", "duty", "phone"} & set(words)  # field names are not words
    shown = view(row)
    assert shown["id"] == envelope.event_id and "text" not in shown and "event_id" not in shown
    assert shown["at"] == "2026-12-03T08:30:00+00:00" and shown["after"] == event.after


def test_a_personal_data_access_is_filed_under_its_ticket_number() -> None:
    event = PersonalDataAccessed(
        action="export", outcome="done", reason="市民申请", ticket_id=None, ticket_number=None,
        by="admin", at=AT,
    )  # fmt: skip
    row = entry(Envelope.wrap(event, producer="intake", ticket_id="privacy:export"), event)
    assert (row["kind"], row["key"], row["before"], row["after"]) == (
        "personal_data",
        "",
        None,
        None,
    )
    revealed = PersonalDataAccessed(
        action="reveal", outcome="revealed", reason="回访", ticket_id="tk-1",
        ticket_number="2612030001", by="agent1", at=AT,
    )  # fmt: skip
    row = entry(Envelope.wrap(revealed, producer="intake", ticket_id="privacy:reveal"), revealed)
    assert (row["key"], row["outcome"], row["reason"]) == ("2612030001", "revealed", "回访")
    assert "2612030001" in row["text"].split("\n")


def test_search_words_are_lower_case_distinct_and_few() -> None:
    assert terms("  R12  供水 r12 ") == ["r12", "供水"]
    assert len(terms(" ".join(f"w{n}" for n in range(30)))) == 10


def test_a_cursor_continues_where_its_page_ended() -> None:
    position = Position(AT, "e-1")
    assert Position.of_cursor(position.cursor()) == position


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "bm90IGpzb24",
        "WyIyMDI2LTEyLTAzIiwiZSJd",
        "WyIyMDI2LTEyLTAzVDA4OjMwOjAwKzAwOjAwIiwiIl0",
    ],
)
def test_a_cursor_it_did_not_make_is_refused(cursor: str) -> None:
    # not base64, not JSON, a naive time, an empty id
    with pytest.raises(ValueError):
        Position.of_cursor(cursor)

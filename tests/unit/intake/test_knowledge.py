"""Knowledge entries as pure rules: validity bounds, categories that cover their branch,
what a save is called, and what differs between two versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.intake.domain.knowledge import (
    Entry,
    KnowledgeError,
    action_of,
    browse,
    check,
    diff,
    record,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)
ENTRY = Entry("kb-1", "社保卡补办", "到网点办理。", ("社保卡",), ("0401",))


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "at", "valid"),
    [
        (None, None, T0, True),
        (T0, None, T0, True),  # from its first moment
        (T0, None, T0 - timedelta(seconds=1), False),
        (None, T0, T0 - timedelta(seconds=1), True),
        (None, T0, T0, False),  # the end is excluded
    ],
)
def test_an_entry_is_valid_between_its_dates(
    valid_from: datetime | None, valid_until: datetime | None, at: datetime, valid: bool
) -> None:
    entry = replace(ENTRY, valid_from=valid_from, valid_until=valid_until)
    assert entry.valid_at(at) is valid
    assert entry.offered_at(at) is valid
    assert replace(entry, active=False).offered_at(at) is False


def test_a_branch_covers_its_leaves_and_a_branch_asked_finds_its_leaves_entries() -> None:
    assert ENTRY.covers("040107") and ENTRY.covers("04") and ENTRY.covers("0401")
    assert not ENTRY.covers("0402") and not ENTRY.covers("010101")
    assert not replace(ENTRY, categories=()).covers("04")


def test_a_draft_needs_dates_in_order_and_known_categories() -> None:
    check(ENTRY, {"0401"})
    with pytest.raises(KnowledgeError) as unknown:
        check(ENTRY, set())
    assert (unknown.value.key, unknown.value.params) == (
        "intake.knowledge_unknown_category",
        {"code": "0401"},
    )
    backwards = replace(ENTRY, valid_from=T0, valid_until=T0)
    with pytest.raises(KnowledgeError) as order:
        check(backwards, {"0401"})
    assert order.value.field == "valid_until"


def test_a_save_is_named_by_what_it_did() -> None:
    retired = replace(ENTRY, active=False)
    assert action_of(None, ENTRY) == "create"
    assert action_of(ENTRY, replace(ENTRY, title="x")) == "change"
    assert action_of(ENTRY, retired) == "retire"
    assert action_of(retired, ENTRY) == "restore"


def test_versions_compare_by_field_and_times_read_the_same_in_any_offset() -> None:
    beijing = timezone(timedelta(hours=8))
    first = record(replace(ENTRY, valid_until=T0))
    same = record(replace(ENTRY, valid_until=T0.astimezone(beijing)))
    assert diff(first, same) == []
    later = record(replace(ENTRY, answer="线上办理。", valid_until=None, version=2))
    assert diff(first, later) == [
        {"field": "answer", "before": "到网点办理。", "after": "线上办理。"},
        {"field": "valid_until", "before": "2026-12-01T00:00:00+00:00", "after": None},
    ]
    created = [c["field"] for c in diff(None, first)]
    assert created == ["title", "answer", "keywords", "categories", "valid_until", "active"]


def test_browsing_finds_text_in_the_answer_and_keeps_to_the_category() -> None:
    other = Entry("kb-2", "停水通知", "请关注自来水公司公告。", (), ("0201",))
    assert browse([ENTRY, other], "网点", None, 10) == [ENTRY]
    assert browse([ENTRY, other], "", "02", 10) == [other]
    assert browse([ENTRY, other], "", None, 1) == [other]  # by title (停 < 社), then the limit

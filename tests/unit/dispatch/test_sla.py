"""Policies and clocks: which policy applies, when a clock warns and breaches, pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.dispatch.adapters.seed import load_policies
from services.dispatch.domain.calendar import Calendar, Continuous
from services.dispatch.domain.sla import (
    Clock,
    Policy,
    PolicyBook,
    limit_problems,
    most_specific_first,
    start_clocks,
)

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
H = timedelta(hours=1)


def continuous(_: str) -> Calendar:
    return Continuous()


@pytest.fixture(scope="module")
def book() -> PolicyBook:
    return load_policies()


@pytest.mark.parametrize(
    ("urgency", "category", "policy"),
    [
        ("urgent", "020101", "urgent"),  # urgent wins over the water category
        ("general", "020101", "utilities"),
        ("general", "010101", "general"),
        ("complex", "010101", "complex"),
        ("utilities", "010101", "utilities"),
    ],
)
def test_the_policy_follows_urgency_then_category(
    book: PolicyBook, urgency: str, category: str, policy: str
) -> None:
    assert book.choose(urgency, category).name == policy


def test_urgent_clocks_run_round_the_clock_with_beijing_defaults(book: PolicyBook) -> None:
    clocks = {c.name: c for c in start_clocks(book.policies["urgent"], T0, continuous)}
    assert clocks["acknowledge"].due_at == T0 + H
    assert clocks["contact"].due_at == T0 + 2 * H
    assert clocks["resolve"].due_at == T0 + 24 * H
    assert clocks["acknowledge"].warn_at == T0 + 0.75 * H


def _clock() -> Clock:
    return Clock("acknowledge", "natural", T0, due_at=T0 + H, warn_at=T0 + 0.75 * H)


def test_a_clock_warns_once_then_breaches_once() -> None:
    clock = _clock()
    assert clock.fire_due(T0 + 0.5 * H) == []
    assert clock.next_fire_at == T0 + 0.75 * H
    assert clock.fire_due(T0 + 0.8 * H) == ["warning"]
    assert clock.fire_due(T0 + 0.9 * H) == []
    assert clock.next_fire_at == T0 + H
    assert clock.fire_due(T0 + 2 * H) == ["breach"]
    assert clock.fire_due(T0 + 3 * H) == []
    assert clock.next_fire_at is None


def test_a_warning_due_with_its_breach_is_folded_into_it() -> None:
    clock = _clock()
    assert clock.fire_due(T0 + 5 * H) == ["breach"]
    assert clock.warned_at is not None and clock.next_fire_at is None


def test_a_paused_clock_keeps_its_time_left() -> None:
    clock, calendar = _clock(), Continuous()
    clock.pause(T0 + 0.25 * H, calendar)
    assert clock.next_fire_at is None and clock.fire_due(T0 + 9 * H) == []
    clock.resume(T0 + 3.25 * H, calendar)
    assert clock.due_at == T0 + 4 * H
    assert clock.warn_at == T0 + 3.75 * H


def test_a_stopped_clock_fires_nothing() -> None:
    clock = _clock()
    clock.stop(T0 + 0.1 * H)
    assert clock.fire_due(T0 + 9 * H) == [] and clock.within


def test_an_extension_moves_the_deadline_and_the_warning() -> None:
    clock, calendar = _clock(), Continuous()
    clock.fire_due(T0 + 0.8 * H)
    clock.move_due(T0 + 0.8 * H, T0 + 10.8 * H, 0.5, calendar)
    assert clock.due_at == T0 + 10.8 * H
    assert clock.warn_at == T0 + 5.8 * H
    assert clock.warned_at is None


@pytest.mark.parametrize(
    ("hours", "share"),
    [({"acknowledge": 1, "contact": 2}, 0.5), ({"acknowledge": 0, "contact": 1, "resolve": 2}, 0.5),
     ({"acknowledge": 1, "contact": 2, "resolve": 3}, 1.0)],
)  # fmt: skip
def test_a_policy_needs_positive_hours_per_clock_and_a_share(
    hours: dict[str, float], share: float
) -> None:
    with pytest.raises(ValueError):
        Policy("p", dict.fromkeys(hours, "natural"), hours, share, 24)


def test_a_book_needs_urgent_and_general() -> None:
    book = load_policies()
    with pytest.raises(ValueError):
        PolicyBook({"urgent": book.policies["urgent"]})
    with pytest.raises(ValueError):
        PolicyBook(book.policies, [("01", "", "nope")])


def test_the_most_specific_category_prefix_decides_whatever_the_order_it_was_given_in(
    book: PolicyBook,
) -> None:
    pairs = most_specific_first(
        {("01", ""): "utilities", ("0101", ""): "complex", ("010101", ""): "general"}
    )
    assert pairs == [("010101", "", "general"), ("0101", "", "complex"), ("01", "", "utilities")]
    mapped = PolicyBook(book.policies, pairs)
    assert mapped.choose("general", "010101").name == "general"
    assert mapped.choose("general", "010102").name == "complex"
    assert mapped.choose("general", "010201").name == "utilities"
    assert mapped.choose("urgent", "010102").name == "urgent"


def test_a_category_may_name_a_policy_for_one_urgency_before_the_one_for_every_urgency(
    book: PolicyBook,
) -> None:
    mapped = PolicyBook(
        book.policies,
        most_specific_first(
            {("01", ""): "utilities", ("01", "complex"): "complex", ("01", "urgent"): "general"}
        ),
    )
    assert mapped.choose("general", "0102").name == "utilities"
    assert mapped.choose("complex", "0102").name == "complex"
    # Urgent tickets keep the urgent policy unless the category names one for them.
    assert mapped.choose("urgent", "0102").name == "general"
    assert mapped.choose("urgent", "0201").name == "urgent"
    only_complex = PolicyBook(book.policies, most_specific_first({("01", "complex"): "utilities"}))
    assert only_complex.choose("general", "0102").name == "general"
    assert only_complex.choose("urgent", "0102").name == "urgent"


def test_a_limit_shorter_than_the_one_before_it_is_flagged_only_on_the_same_basis() -> None:
    hours = {"acknowledge": 4.0, "contact": 2.0, "resolve": 1.0}
    same = dict.fromkeys(hours, "natural")
    assert limit_problems(hours, same) == ["contact", "resolve"]
    mixed = {"acknowledge": "working", "contact": "natural", "resolve": "working"}
    assert limit_problems(hours, mixed) == []
    assert limit_problems({"acknowledge": 1, "contact": 1, "resolve": 1}, same) == []

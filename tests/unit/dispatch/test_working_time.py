"""Policies in working time: each limit on its own basis, as the shipped file and an
operator's file say, and clocks that keep their basis through a pause."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from services.dispatch.adapters.calendar_data import calendars
from services.dispatch.adapters.seed import load_policies
from services.dispatch.domain.calendar import BEIJING
from services.dispatch.domain.sla import Policy, start_clocks

BOOK = calendars()
H = timedelta(hours=1)


def test_urgent_keeps_natural_hours_and_general_counts_working_time() -> None:
    policies = load_policies().policies
    assert set(policies["urgent"].bases.values()) == {"natural"}
    assert set(policies["general"].bases.values()) == {"working"}
    # Dispatched on a Thursday at 15:20: contact (9 working hours) is due Friday at 15:20,
    # not in the night.
    start = datetime(2026, 3, 12, 15, 20, tzinfo=BEIJING)
    clocks = {c.name: c for c in start_clocks(policies["general"], start, BOOK)}
    assert clocks["contact"].due_at == datetime(2026, 3, 13, 15, 20, tzinfo=BEIJING)
    assert clocks["contact"].basis == "working" and clocks["contact"].working_days


def test_a_limit_may_count_on_its_own_basis(tmp_path: Path) -> None:
    path = tmp_path / "sla.toml"
    shipped = (Path(__file__).parents[3] / "services/dispatch/seed/sla.toml").read_text()
    path.write_text(
        shipped.replace("acknowledge = 4\n", 'acknowledge = { hours = 2, time = "natural" }\n', 1)
    )
    general = load_policies(path).policies["general"]
    assert general.bases["acknowledge"] == "natural" and general.hours["acknowledge"] == 2
    start = datetime(2026, 3, 13, 17, tzinfo=BEIJING)  # Friday evening
    clocks = {c.name: c for c in start_clocks(general, start, BOOK)}
    assert clocks["acknowledge"].due_at == start + 2 * H
    assert clocks["contact"].due_at == datetime(2026, 3, 16, 17, tzinfo=BEIJING)


def test_an_old_policy_file_is_refused_with_what_to_change(tmp_path: Path) -> None:
    path = tmp_path / "sla.toml"
    path.write_text(
        "[policies.urgent]\nworking_days = false\nacknowledge = 1\ncontact = 2\nresolve = 24\n"
        "warn_share = 0.75\nmax_extension_hours = 24\n"
    )
    with pytest.raises(ValueError, match="`working_days` is replaced by `time`"):
        load_policies(path)


def test_a_policy_takes_natural_or_working_time_only() -> None:
    hours = {"acknowledge": 1.0, "contact": 2.0, "resolve": 3.0}
    with pytest.raises(ValueError, match="natural or working"):
        Policy("p", dict.fromkeys(hours, "working_days"), hours, 0.5, 24)  # type: ignore[arg-type]

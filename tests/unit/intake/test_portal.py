"""The portal's pure rules: one-time codes (expiry, attempts, proofs), throttles, what a
report is logged as, and the citizen's timeline keeping staff-only data out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from proto.assignments import (
    AssignmentDispatched,
    AssignmentResolved,
    AssignmentReturned,
    AssignmentSupervised,
    CitizenContacted,
    ProgressNoted,
    TicketQueuedForReview,
)
from proto.feedback import ReopenRequested, TicketClosed, TicketRated
from services.intake.domain import otp
from services.intake.domain.addresses import Area
from services.intake.domain.portal import (
    FALLBACK_CATEGORY,
    UNSURE,
    Entry,
    entry_for,
    nearest,
    pin,
    timeline,
)

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
SECRET = "s" * 40
NOTE = "内部：请联系物业王经理"


def _code(code: str = "123456", **changes: object) -> otp.Code:
    digest = otp.code_digest(SECRET, "c1", code)
    issued = otp.issue("c1", "report", "phone-key", "client-key", None, digest, NOW)
    return replace(issued, **changes)  # type: ignore[arg-type]


def test_codes_are_six_digits_and_kept_only_as_a_keyed_hash() -> None:
    codes = {otp.new_code() for _ in range(50)}
    assert all(len(c) == 6 and c.isdigit() for c in codes) and len(codes) > 40
    code = _code("042917")
    assert "042917" not in code.code_hash
    assert otp.matches(SECRET, code, "042917")
    assert not otp.matches(SECRET, code, "042918")
    assert not otp.matches("x" * 40, code, "042917")
    assert otp.code_digest(SECRET, "c2", "042917") != code.code_hash  # bound to its id


def test_a_code_lasts_five_minutes() -> None:
    code = _code()
    assert code.expires_at - code.created_at == timedelta(minutes=5)
    assert otp.refusal(code, NOW + timedelta(minutes=4, seconds=59)) is None
    assert otp.refusal(code, NOW + timedelta(minutes=5)) == "expired"
    assert otp.refusal(None, NOW) == "expired"


def test_a_code_takes_five_attempts_and_one_success() -> None:
    assert otp.refusal(_code(attempts=4), NOW) is None
    assert otp.refusal(_code(attempts=5), NOW) == "exhausted"
    assert otp.attempts_left(_code(attempts=1)) == 4
    assert otp.refusal(_code(verified_at=NOW), NOW) == "used"


def test_a_proof_vouches_once_for_its_number_within_half_an_hour() -> None:
    verified = _code(verified_at=NOW, proof_hash=otp.proof_digest("p"))
    assert not otp.proof_refusal(verified, "phone-key", NOW + timedelta(minutes=29))
    assert otp.proof_refusal(verified, "phone-key", NOW + timedelta(minutes=31))
    assert otp.proof_refusal(verified, "other-key", NOW)
    assert otp.proof_refusal(replace(verified, used_at=NOW), "phone-key", NOW)
    assert otp.proof_refusal(replace(verified, purpose="track"), "phone-key", NOW)
    assert otp.proof_refusal(_code(), "phone-key", NOW)  # never verified
    assert otp.proof_refusal(None, "phone-key", NOW)


@pytest.mark.parametrize(
    ("limit", "allowed"),
    [
        (otp.CODES_PER_NUMBER, 5),
        (otp.CODES_PER_CLIENT, 20),
        (otp.REPORTS_PER_NUMBER, 10),
        (otp.REPORTS_PER_CLIENT, 30),
    ],
)
def test_limits_allow_so_many_in_their_window(limit: otp.Limit, allowed: int) -> None:
    assert not limit.exceeded_by(allowed - 1)
    assert limit.exceeded_by(allowed)
    assert limit.since(NOW) == NOW - limit.window
    assert limit.window <= otp.KEPT  # codes are kept while a throttle counts them


def test_client_addresses_are_counted_by_a_keyed_hash() -> None:
    key = otp.client_key(SECRET, "203.0.113.7")
    assert "203.0.113.7" not in key
    assert key == otp.client_key(SECRET, "203.0.113.7") != otp.client_key(SECRET, "203.0.113.8")


def test_a_report_without_category_or_place_goes_to_review() -> None:
    assert pin("010101", "110105001001") == pin("010101", "110105001001")
    sure = pin("010101", "110105001001")
    assert (sure.category_code, sure.review) == ("010101", "")
    no_category = pin(None, "110105001001")
    assert (no_category.category_code, no_category.review) == (FALLBACK_CATEGORY, UNSURE)
    no_place = pin("010101", None)
    assert (no_place.category_code, no_place.area_code, no_place.review) == (
        "010101",
        None,
        UNSURE,
    )


def _dispatched(role: str = "lead") -> AssignmentDispatched:
    return AssignmentDispatched(
        assignment_id="a1",
        department_code="D-X",
        department_name="区城管委",
        rule="r1",
        dispatched_at=NOW,
        dispatched_by="dispatcher1",
        note=NOTE,
        role=role,  # type: ignore[arg-type]
    )


def test_the_timeline_keeps_what_the_citizen_may_see() -> None:
    assert entry_for(_dispatched()) == Entry("dispatched", NOW, "区城管委")
    contacted = CitizenContacted(
        assignment_id="a1", department_code="D-X", note=NOTE, by="staff-x", at=NOW
    )
    assert entry_for(contacted) == Entry("contacted", NOW)
    resolved = AssignmentResolved(
        assignment_id="a1",
        department_code="D-X",
        department_name="区城管委",
        outcome="已修复",
        by="staff-x",
        at=NOW,
        dispatched_at=NOW,
        photos=["ph_1"],
    )
    assert entry_for(resolved) == Entry("resolved", NOW, "区城管委", "已修复", ("ph_1",))
    rated = TicketRated(
        invitation_id="i",
        department_code="D-X",
        contacted=True,
        solved=False,
        satisfaction="dissatisfied",
        comment="没人来",
        via="callback",
        by="agent1",
        at=NOW,
    )
    assert entry_for(rated) == Entry("rated", NOW, text="dissatisfied")
    reopened = ReopenRequested(
        department_code="D-X", comment="c", reopen_count=1, supervise=False, at=NOW, by="agent1"
    )
    assert entry_for(reopened) == Entry("reopened", NOW)
    assert entry_for(TicketClosed(reason="satisfied", at=NOW, by="agent1")) == Entry("closed", NOW)


def test_the_timeline_leaves_out_staff_notes_helpers_and_internal_steps() -> None:
    internal = [
        _dispatched("co"),
        AssignmentReturned(
            assignment_id="a1",
            department_code="D-X",
            reason_code="not_ours",
            reason=NOTE,
            by="staff-x",
            at=NOW,
        ),
        ProgressNoted(assignment_id="a1", department_code="D-X", note=NOTE, by="s", at=NOW),
        AssignmentSupervised(
            assignment_id="a1", department_code="D-X", reason=NOTE, by="leader", at=NOW
        ),
        TicketQueuedForReview(reason="citizen_unsure", at=NOW),
        AssignmentResolved(
            assignment_id="a2",
            department_code="D-Y",
            department_name="协办单位",
            role="co",
            outcome=NOTE,
            by="s",
            at=NOW,
            dispatched_at=NOW,
        ),
    ]
    assert [entry_for(e) for e in internal] == [None] * len(internal)
    for event in (
        _dispatched(),
        CitizenContacted(
            assignment_id="a1", department_code="D-X", note=NOTE, by="staff-x", at=NOW
        ),
    ):
        shown = repr(entry_for(event))
        assert NOTE not in shown and "dispatcher1" not in shown and "staff-x" not in shown


def test_the_timeline_starts_with_acceptance_then_runs_in_time_order() -> None:
    later = [Entry("resolved", NOW + timedelta(hours=2)), Entry("dispatched", NOW)]
    kinds = [e.kind for e in timeline(NOW, None, None, later)]
    assert kinds == ["accepted", "dispatched", "resolved"]
    answered = timeline(NOW, "请拨打社保热线", NOW, [])
    assert [(e.kind, e.text) for e in answered] == [
        ("accepted", None),
        ("answered", "请拨打社保热线"),
    ]


def test_a_position_suggests_only_a_district_whose_seat_is_close() -> None:
    areas = [
        Area("110105", "朝阳区", lat=39.9215, lon=116.4431),
        Area("110101", "东城区", lat=39.9288, lon=116.4160),
        Area("110105001001", "永安里社区", parent="110105001"),  # no coordinates
    ]
    assert nearest(areas, 39.92, 116.45) == areas[0]
    assert nearest(areas, 39.93, 116.41) == areas[1]
    assert nearest(areas, 40.5, 117.5) is None  # far from every seat

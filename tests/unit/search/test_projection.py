"""The projection folds every event of every topic into one document per ticket, and the
document is the same whatever order the events come in and however often each comes."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from proto import assignments as a
from proto import feedback as f
from proto import tickets as t
from proto.assignments import AssignmentDispatched
from proto.envelope import Envelope, Event
from proto.registry import decode_payload
from proto.tickets import TicketCreated
from proto.topology import CONSUMERS
from services.search.domain.projection import KNOWN_EVENTS, apply
from tests.support import evidence

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=30)
Story = list[tuple[Envelope, Event]]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def zulu(minutes: float) -> str:
    """A time as events serialise it."""
    return at(minutes).isoformat().replace("+00:00", "Z")


def wrap(event: Event, minutes: float, producer: str = "test") -> tuple[Envelope, Event]:
    envelope = Envelope.wrap(event, producer=producer, ticket_id="t1")
    return envelope.model_copy(update={"occurred_at": at(minutes)}), event


def created(minutes: float = 0) -> tuple[Envelope, Event]:
    return wrap(
        t.TicketCreated(
            number="26110200001", channel="phone", request_type="complaint",
            category_code="010101", category_path=["城乡建设", "市容环境", "噪音扰民"],
            area_code="110105001001", area_path=["朝阳区", "建外街道", "永安里社区"],
            urgency="general", description="夜间施工噪音扰民", caller_masked="138****5678",
            caller_key="k" * 32, created_by="agent1", created_at=at(minutes),
        ),
        minutes,
        "intake",
    )  # fmt: skip


def dispatched(
    aid: str, dept: str, minutes: float, role: str = "lead", round_: int = 1
) -> tuple[Envelope, Event]:
    deadlines = {"acknowledge": at(minutes + 60), "resolve": at(minutes + 7 * 1440)}
    return wrap(
        a.AssignmentDispatched(
            assignment_id=aid, department_code=dept, department_name=f"{dept} 办事处",
            rule="territory:street", dispatched_at=at(minutes), role=role,  # type: ignore[arg-type]
            round=round_, deadlines=deadlines,  # type: ignore[arg-type]
        ),
        minutes,
        "dispatch",
    )  # fmt: skip


def resolved(aid: str, dept: str, minutes: float, role: str = "lead") -> tuple[Envelope, Event]:
    return wrap(
        a.AssignmentResolved(
            assignment_id=aid, department_code=dept, department_name=f"{dept} 办事处",
            role=role, outcome="已协调施工方停止夜间施工", by=f"{dept}-staff",  # type: ignore[arg-type]
            at=at(minutes), dispatched_at=at(1), within_sla=True,
        ),
        minutes,
    )  # fmt: skip


def rated(
    minutes: float, invitation: str, satisfaction: str, solved: bool, round_: int = 1
) -> tuple[Envelope, Event]:
    return wrap(
        f.TicketRated(
            invitation_id=invitation, department_code="D-JXS", contacted=True, solved=solved,
            satisfaction=satisfaction, via="link", by=None, at=at(minutes),  # type: ignore[arg-type]
            round=round_, contact_on_time=True,
        ),
        minutes,
        "feedback",
    )  # fmt: skip


def full_story() -> Story:
    """One ticket's whole life: every event type, two rounds, a co-handler."""
    return [
        created(0),
        wrap(t.CallAttached(call_id="c2", channel="phone", caller_masked="139****0000",
                            caller_key="c" * 32, calls=2, attached_by="agent2",
                            attached_at=at(30), description="工地晚上十一点还在施工"), 30),
        wrap(t.TicketRaisedForSupervision(reason="repeat_calls", calls=3, raised_at=at(35)), 35),
        wrap(a.TicketQueuedForReview(reason="两条规则冲突", at=at(0.5)), 0.5),
        dispatched("a1", "D-JXS", 1),
        dispatched("a2", "G-CY", 1.5, role="co"),
        wrap(a.AssignmentAcknowledged(assignment_id="a1", department_code="D-JXS",
                                      by="chaoyang-jxs", at=at(20)), 20),
        wrap(a.AssignmentAcknowledged(assignment_id="a2", department_code="G-CY",
                                      by="g-cy", at=at(21)), 21),
        wrap(a.CitizenContacted(assignment_id="a1", department_code="D-JXS", note="电话联系",
                                by="chaoyang-jxs", at=at(40)), 40),
        wrap(a.ProgressNoted(assignment_id="a1", department_code="D-JXS", note="约谈施工方",
                             by="chaoyang-jxs", at=at(100)), 100),
        wrap(a.ExtensionRequested(assignment_id="a1", department_code="D-JXS",
                                  new_due=at(9 * 1440), reason="需协调多部门",
                                  by="chaoyang-jxs", at=at(200)), 200),
        wrap(a.ExtensionDecided(assignment_id="a1", department_code="D-JXS", granted=True,
                                new_due=at(9 * 1440), by="dispatcher", at=at(210)), 210),
        wrap(a.SlaWarningRaised(assignment_id="a1", department_code="D-JXS", clock="resolve",
                                due_at=at(9 * 1440), at=at(8 * 1440)), 8 * 1440),
        wrap(a.AssignmentSupervised(assignment_id="a1", department_code="D-JXS",
                                    reason="临近时限", by="dispatcher", at=at(8 * 1440 + 5)),
             8 * 1440 + 5),
        wrap(a.ClocksPaused(assignment_id="a1", department_code="D-JXS", reason="等市民回复",
                            by="chaoyang-jxs", at=at(300)), 300),
        wrap(a.ClocksResumed(assignment_id="a1", department_code="D-JXS",
                             deadlines={"resolve": at(10 * 1440)}, by="chaoyang-jxs",
                             at=at(400)), 400),
        resolved("a2", "G-CY", 8 * 1440 + 10, role="co"),
        resolved("a1", "D-JXS", 8 * 1440 + 20),
        wrap(f.RatingRequested(invitation_id="i1", link="https://secret.invalid/r/TOKEN1",
                               expires_at=at(12 * 1440), department_code="D-JXS",
                               at=at(8 * 1440 + 21)), 8 * 1440 + 21, "feedback"),
        rated(8 * 1440 + 60, "i1", "dissatisfied", solved=False),
        wrap(f.ReopenRequested(department_code="D-JXS", comment="噪音依旧", reopen_count=1,
                               supervise=False, at=at(8 * 1440 + 61)), 8 * 1440 + 61,
             "feedback"),
        dispatched("a3", "D-JXS", 8 * 1440 + 70, round_=2),
        wrap(a.SlaBreached(assignment_id="a3", department_code="D-JXS", clock="acknowledge",
                           due_at=at(8 * 1440 + 130), at=at(8 * 1440 + 131)), 8 * 1440 + 131),
        wrap(a.AssignmentReturned(assignment_id="a9", department_code="U-WATER",
                                  reason_code="not_ours", reason="非供水问题", by="water",
                                  at=at(5)), 5),
        resolved("a3", "D-JXS", 9 * 1440),
        wrap(f.RatingRequested(invitation_id="i2", link="https://secret.invalid/r/TOKEN2",
                               expires_at=at(13 * 1440), department_code="D-JXS",
                               at=at(9 * 1440 + 1)), 9 * 1440 + 1, "feedback"),
        wrap(f.CallbackRecorded(callback_id="cb1", reached=True, by="agent2",
                                at=at(9 * 1440 + 50)), 9 * 1440 + 50, "feedback"),
        rated(9 * 1440 + 51, "i2", "basically_satisfied", solved=True, round_=2),
        wrap(f.TicketClosed(reason="satisfied", at=at(9 * 1440 + 52)), 9 * 1440 + 52, "feedback"),
    ]  # fmt: skip


def fold(events: Story) -> dict[str, Any]:
    doc = None
    for envelope, event in events:
        doc = apply(doc, envelope, event, NOW)
    assert doc is not None
    return doc


def test_every_event_search_consumes_is_folded() -> None:
    # Sign-in events concern no ticket: search's own sessions group handles them.
    searched = set(CONSUMERS["search"])
    assert set(KNOWN_EVENTS) == searched
    stories = [full_story(), *STORIES.values()]
    assert {type(event) for story in stories for _, event in story} == searched


def test_the_whole_story_of_a_ticket() -> None:
    doc = fold(full_story())
    assert doc["status"] == "closed" and doc["is_open"] is False
    assert doc["calls"] == 2 and doc["more_descriptions"] == ["工地晚上十一点还在施工"]
    assert doc["department_code"] == "D-JXS" and doc["round"] == 2
    assert doc["department_codes"] == ["D-JXS", "G-CY", "U-WATER"]
    assert doc["category_codes"] == ["01", "0101", "010101"]
    assert doc["area_codes"] == ["110105", "110105001", "110105001001"]
    assert doc["street_code"] == "110105001" and doc["hotspot_key"] == "010101@110105001"
    assert doc["sla_state"] == "breached" and doc["supervised"] is True
    assert doc["reopen_count"] == 1 and doc["close_reason"] == "satisfied"
    assert doc["rating"]["satisfaction"] == "basically_satisfied"
    counters = ("m_rated", "m_responded", "m_solved", "m_satisfied", "m_basically_satisfied")
    assert [doc[name] for name in counters] == [2, 2, 1, 0, 1]
    assert (doc["m_resolved"], doc["m_within_sla"]) == (1, 1)
    assert doc["resolved_at"] == zulu(9 * 1440)
    assert doc["due_at"] is None  # closed: nothing is due
    assert len(doc["timeline"]) == len(full_story())
    assert doc["timeline"][0]["by"] == "agent1"


def test_the_dispatchers_verdict_on_the_suggestion_is_folded_once() -> None:
    _, first = dispatched("a1", "D-JXS", 30)
    _, again = dispatched("a2", "U-WATER", 90)
    overridden = first.model_copy(update={"suggestion": "overridden"})
    story = [created(), wrap(overridden, 30, "dispatch"), wrap(again, 90, "dispatch")]
    doc = fold(list(reversed(story)))  # in any order
    assert (doc["suggestion_outcome"], doc["suggestion_decided_at"]) == ("overridden", zulu(30))
    plain = fold([created(), dispatched("a1", "D-JXS", 30)])
    assert (plain["suggestion_outcome"], plain["suggestion_decided_at"]) == (None, None)


def test_no_secret_and_no_phone_number_is_kept() -> None:
    text = str(fold(full_story()))
    assert "TOKEN1" not in text and "secret.invalid" not in text
    assert "k" * 32 not in text and "c" * 32 not in text
    assert "caller_key" not in text
    assert "138****5678" not in text and "139****0000" not in text


def test_every_entry_says_who_and_when() -> None:
    doc = fold(full_story())
    by = {e["type"]: e["by"] for e in doc["timeline"]}
    assert by["AssignmentAcknowledged"] in ("chaoyang-jxs", "g-cy")
    assert by["ExtensionDecided"] == "dispatcher"
    assert by["TicketRated"] == "citizen" and by["CallAttached"] == "agent2"
    assert all(e["at"].endswith("+00:00") for e in doc["timeline"])


def test_the_full_story_in_random_orders_and_repeated() -> None:
    story = full_story()
    expected = fold(story)
    shuffler = random.Random(12345)
    for _ in range(60):
        order = story + story[: len(story) // 2]
        shuffler.shuffle(order)
        assert fold(order) == expected
    assert fold(list(reversed(story)) * 2) == expected


# Small stories whose every permutation is folded, each event given twice.
STORIES = {
    "dispatched then acknowledged and contacted": [
        created(0), dispatched("a1", "D-JXS", 1),
        wrap(a.AssignmentAcknowledged(assignment_id="a1", department_code="D-JXS", by="x",
                                      at=at(5)), 5),
        wrap(a.CitizenContacted(assignment_id="a1", department_code="D-JXS", note="n", by="x",
                                at=at(6)), 6),
        dispatched("a2", "G-CY", 2, role="co"),
    ],
    "returned and re-dispatched": [
        created(0), dispatched("a1", "U-WATER", 1),
        wrap(a.AssignmentReturned(assignment_id="a1", department_code="U-WATER",
                                  reason_code="not_ours", reason="r", by="water", at=at(3)), 3),
        dispatched("a2", "D-JXS", 4),
        wrap(a.ExtensionDecided(assignment_id="a2", department_code="D-JXS", granted=True,
                                new_due=at(99), by="dispatcher", at=at(5)), 5),
    ],
    "rated twice, reopened and closed": [
        created(0), resolved("a1", "D-JXS", 10), rated(20, "i1", "dissatisfied", False),
        wrap(f.ReopenRequested(department_code="D-JXS", comment="c", reopen_count=1,
                               supervise=True, at=at(21)), 21),
        wrap(a.AssignmentSupervised(assignment_id="a1", department_code="D-JXS",
                                    reason="reopen_limit:1", by="feedback", at=at(22)), 22),
        rated(40, "i2", "satisfied", True, round_=2),
        wrap(f.TicketClosed(reason="satisfied", at=at(41)), 41),
    ],
    "answered directly at intake": [
        created(0),
        wrap(t.TicketAnsweredDirectly(answer="医保办理需身份证", knowledge_entry_id=None,
                                      answered_by="agent1", answered_at=at(1)), 1),
        wrap(f.RatingRequested(invitation_id="i1", link="https://x.invalid/r/1",
                               expires_at=at(99), department_code=None, at=at(2)), 2),
        wrap(f.TicketClosed(reason="answered_directly", at=at(3)), 3),
        wrap(t.CallAttached(call_id="c", channel="web", caller_masked=None, caller_key=None,
                            calls=3, attached_by="agent2", attached_at=at(4)), 4),
    ],
    "appealed, upheld and reversed": [
        created(0), resolved("a1", "D-JXS", 10), rated(20, "i1", "dissatisfied", False),
        wrap(f.AppealFiled(appeal_id="p1", department_code="D-JXS", assignment_id="a1",
                           kind="citizen_unreachable", reason="市民拒接电话", photos=[],
                           by="chaoyang-jxs", at=at(30)), 30, "feedback"),
        wrap(f.AppealDecided(appeal_id="p1", department_code="D-JXS",
                             kind="citizen_unreachable", outcome="upheld", reason="属实",
                             excluded=True, by="dispatcher", at=at(40)), 40, "feedback"),
        wrap(f.AppealReversed(appeal_id="p1", department_code="D-JXS",
                              kind="citizen_unreachable", outcome="rejected", reason="复核不实",
                              excluded=False, by="leader", at=at(50)), 50, "feedback"),
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(STORIES))
def test_every_order_twice_gives_the_same_document(name: str) -> None:
    story = STORIES[name]
    expected = fold(story)
    for order in itertools.permutations(story):
        assert fold([*order, *order]) == expected


def test_what_the_small_stories_say() -> None:
    first = fold(STORIES["dispatched then acknowledged and contacted"])
    assert first["status"] == "in_progress" and first["co_department_codes"] == ["G-CY"]
    assert first["due_at"] == zulu(1 + 7 * 1440)  # acknowledged: resolve is next
    second = fold(STORIES["returned and re-dispatched"])
    assert second["status"] == "dispatched" and second["department_code"] == "D-JXS"
    assert second["deadlines"]["resolve"] == zulu(99)
    third = fold(STORIES["rated twice, reopened and closed"])
    assert third["status"] == "closed" and third["supervised"]
    assert (third["m_rated"], third["m_satisfied"], third["rating"]["satisfaction"]) == (
        2,
        1,
        "satisfied",
    )
    appealed = STORIES["appealed, upheld and reversed"]
    assert fold(appealed)["rating_department_code"] == "D-JXS"  # the reversal counts it again
    upheld = fold(appealed[:-1])
    assert upheld["rating_department_code"] == "excluded:D-JXS" and upheld["m_rated"] == 1
    entries = [e for e in fold(appealed)["timeline"] if e["type"].startswith("Appeal")]
    assert [(e["by"], e["summary"], e.get("excluded")) for e in entries] == [
        ("chaoyang-jxs", "D-JXS 提出申诉：市民无法联系", None),
        ("dispatcher", "D-JXS 的申诉裁定：支持（不计入该单位三率）", True),
        ("leader", "D-JXS 的申诉改判：驳回（计入该单位三率）", False),
    ]
    assert [e["detail"].split("；")[0] for e in entries] == ["市民拒接电话", "属实", "复核不实"]
    fourth = fold(STORIES["answered directly at intake"])
    assert fourth["status"] == "closed" and fourth["calls"] == 3
    assert fourth["answered_at"] is not None and fourth["m_rated"] == 0


def test_paused_clocks_are_not_due_and_resumed_ones_move_the_deadline() -> None:
    story = [created(0), dispatched("a1", "D-JXS", 1)]
    pause = wrap(a.ClocksPaused(assignment_id="a1", department_code="D-JXS", reason="r",
                                by="x", at=at(10)), 10)  # fmt: skip
    moved: dict[Any, datetime] = {"acknowledge": at(500)}
    resume = wrap(a.ClocksResumed(assignment_id="a1", department_code="D-JXS",
                                  deadlines=moved, by="x", at=at(20)), 20)  # fmt: skip
    paused = fold([*story, pause])
    assert paused["clocks_paused"] is True and paused["due_at"] is None
    going = fold([resume, *story, pause])
    assert going["clocks_paused"] is False
    assert going["due_at"] == zulu(500)


def test_a_late_ticket_event_fills_a_document_started_by_others() -> None:
    doc = fold([dispatched("a1", "D-JXS", 1), created(0)])
    assert doc["status"] == "dispatched" and doc["number"] == "26110200001"
    partial = fold([dispatched("a1", "D-JXS", 1)])
    assert "number" not in partial and partial["department_code"] == "D-JXS"


def test_folding_leaves_the_given_document_unchanged() -> None:
    story = full_story()
    for cut in range(1, len(story)):
        before = fold(story[:cut])
        snapshot = json.dumps(before, sort_keys=True)
        apply(before, *story[cut], NOW)
        assert json.dumps(before, sort_keys=True) == snapshot


def _breach(state: str | None, minutes: float) -> tuple[Envelope, Event]:
    return wrap(a.SlaBreached(assignment_id="a1", department_code="D-JXS", clock="acknowledge",
                              due_at=at(60), at=at(minutes), sla_state=state), minutes)  # fmt: skip


def test_supervision_and_sla_state_are_what_dispatch_said() -> None:
    raised = wrap(t.TicketRaisedForSupervision(reason="repeat_calls", calls=3, raised_at=at(2)), 2)
    breached = fold([created(0), dispatched("a1", "D-JXS", 1), raised, _breach("breached", 61)])
    # A breach and a third call are reasons for dispatch to supervise, not the decision.
    assert breached["sla_state"] == "breached" and breached["supervised"] is False
    opened = a.AssignmentSupervised(
        assignment_id="a1", department_code="D-JXS", reason="sla_breach:acknowledge",
        by="scheduler", at=at(61),
    )  # fmt: skip
    supervised = fold([created(0), dispatched("a1", "D-JXS", 1), _breach(None, 61),
                       wrap(opened, 61)])  # fmt: skip
    assert supervised["supervised"] is True and supervised["sla_state"] == "breached"
    warning = a.SlaWarningRaised(
        assignment_id="a1", department_code="D-JXS", clock="contact", due_at=at(90), at=at(80),
        sla_state="breached",
    )  # fmt: skip
    warned = wrap(warning, 80)
    # A warning after a breach: dispatch keeps the worse state, and search reads it.
    assert fold([created(0), dispatched("a1", "D-JXS", 1), warned])["sla_state"] == "breached"


# A two-event story, folded in every order and with repeats.

SMALL_T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
SMALL_NOW = SMALL_T0 + timedelta(minutes=5)


def _small_created() -> tuple[Envelope, Event]:
    event = TicketCreated(
        number="26112800001",
        channel="phone",
        request_type="complaint",
        category_code="010101",
        category_path=["城乡建设", "市容环境", "噪音扰民"],
        area_code="110105001001",
        area_path=["朝阳区", "建外街道", "永安里社区"],
        urgency="general",
        description="夜间施工噪音扰民",
        caller_masked="138****5678",
        caller_key="k" * 32,
        created_by="agent1",
        created_at=SMALL_T0,
    )
    envelope = Envelope.wrap(event, producer="intake", ticket_id="t1").model_copy(
        update={"occurred_at": SMALL_T0}
    )
    return envelope, event


def _small_dispatched(minutes: int, department: str) -> tuple[Envelope, Event]:
    at = SMALL_T0 + timedelta(minutes=minutes)
    event = AssignmentDispatched(
        assignment_id=f"a{minutes}",
        department_code=department,
        department_name=department,
        rule="territory:street",
        dispatched_at=at,
    )
    envelope = Envelope.wrap(event, producer="dispatch", ticket_id="t1").model_copy(
        update={"occurred_at": at}
    )
    return envelope, event


def _small_fold(events: list[tuple[Envelope, Event]]) -> dict:
    doc = None
    for envelope, event in events:
        doc = apply(doc, envelope, event, SMALL_NOW)
    assert doc is not None
    return doc


def test_a_created_and_dispatched_ticket() -> None:
    doc = _small_fold([_small_created(), _small_dispatched(1, "D-JXS")])
    assert doc["status"] == "dispatched"
    assert doc["department_code"] == "D-JXS"
    assert doc["description"] == "夜间施工噪音扰民"
    # An event from before caller references: read, but nothing derived from the number kept.
    assert doc["has_phone"] is True
    assert "caller_masked" not in doc and "caller_key" not in doc
    assert [e["type"] for e in doc["timeline"]] == ["TicketCreated", "AssignmentDispatched"]


def test_every_order_and_repetition_gives_the_same_document() -> None:
    events = [_small_created(), _small_dispatched(1, "D-JXS"), _small_dispatched(9, "G-CY")]
    expected = _small_fold(events)
    assert expected["department_code"] == "G-CY"  # the later assignment wins
    for order in itertools.permutations(events):
        assert _small_fold([*order, *order]) == expected


def test_photos_and_the_frequent_caller_cue_in_any_order() -> None:
    envelopes = evidence.with_photos("t-photo", T0, "app")
    story = [(e, decode_payload(e)) for e in envelopes]
    doc = fold(story)
    assert (doc["channel"], doc["frequent_caller"]) == ("app", True)
    photo = evidence.photo
    assert evidence.photos_on_timeline(doc["timeline"]) == [
        ("TicketCreated", [photo("t-photoc")]),
        ("CitizenContacted", [photo("t-photob")]),
        ("AssignmentResolved", [photo("t-photoa1"), photo("t-photoa2")]),
    ]
    assert fold(list(reversed(story)) + story) == doc
    plain = fold([created()])
    assert plain["frequent_caller"] is False
    assert not evidence.photos_on_timeline(plain["timeline"])

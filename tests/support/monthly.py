"""Tickets of last month for the monthly report's tests, told as the events the services
publish: known ratings for two departments (one ticket excluded by an upheld appeal), an
overdue ticket, a late resolution, a proactive ticket, several channels, and one ticket
rated this month that last month's figures must not hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from benchmarks.search_corpus import Story
from proto import assignments as a
from proto import feedback as f
from proto import tickets as t
from proto.envelope import Envelope
from services.search.adapters.index import TIME_ZONE

NOW = datetime.now(UTC)
THIS_MONTH = NOW.astimezone(TIME_ZONE).date().replace(day=1)
LAST_MONTH = (THIS_MONTH - timedelta(days=1)).replace(day=1)
MONTH = LAST_MONTH.strftime("%Y-%m")
NEXT_MONTH = (THIS_MONTH + timedelta(days=32)).strftime("%Y-%m")
# 10:00 on the 10th of last month, Beijing time.
DAY = datetime(LAST_MONTH.year, LAST_MONTH.month, 10, 10, tzinfo=TIME_ZONE)
PLACES = {
    "110105001001": (["朝阳区", "建外街道", "永安里社区"], "D-JXS", "朝阳区建外街道办事处"),
    "110108001001": (["海淀区", "中关村街道", "科源社区"], "D-ZGC", "海淀区中关村街道办事处"),
    "110105002001": (["朝阳区", "朝外街道", "吉祥社区"], "D-CWJ", "朝阳区朝外街道办事处"),
}
SATISFIED = (True, True, "satisfied")


def story(
    ticket_id: str,
    start: datetime,
    area: str,
    *,
    channel: str = "phone",
    answers: tuple[bool, bool, str] | None = None,
    resolved: bool = True,
    in_time: bool = True,
    excluded: bool = False,
) -> list[Envelope]:
    """One ticket of 010102 (垃圾清运) in `area`, dispatched to its street office, resolved
    (in time or not) and, given `answers` (contacted, solved, satisfaction), rated; an
    upheld appeal when `excluded`."""
    path, code, name = PLACES[area]
    told = Story(ticket_id, start)
    told.add(t.TicketCreated(
        number=f"9{ticket_id[-6:]}", channel=channel, request_type="complaint",
        category_code="010102", category_path=["城乡建设", "市容环境", "垃圾清运"],
        area_code=area, area_path=path, urgency="general", description="楼道堆放垃圾",
        has_phone=channel != "proactive", created_by="agent1", created_at=start,
    ), "intake", timedelta(0))  # fmt: skip
    aid = f"as-{ticket_id}"
    told.add(a.AssignmentDispatched(
        assignment_id=aid, department_code=code, department_name=name, rule="territory:street",
        dispatched_at=start, deadlines={"resolve": start + timedelta(days=1)},
    ), "dispatch", timedelta(seconds=1))  # fmt: skip
    if not resolved:
        return told.events
    told.add(a.AssignmentResolved(
        assignment_id=aid, department_code=code, department_name=name, outcome="已清理",
        by="staff", at=told.clock, dispatched_at=start, within_sla=in_time,
    ), "dispatch", timedelta(hours=2))  # fmt: skip
    if answers is not None:
        contacted, solved, satisfaction = answers
        told.add(f.TicketRated(
            invitation_id=f"inv-{ticket_id}", department_code=code, contacted=contacted,
            solved=solved, satisfaction=satisfaction, via="link", by=None, at=told.clock,
            assignment_id=aid, contact_on_time=True,
        ), "feedback", timedelta(hours=1))  # fmt: skip
    if excluded:
        told.add(f.AppealDecided(
            appeal_id=f"ap-{ticket_id}", department_code=code, kind="outside_policy",
            outcome="upheld", reason="超出政策范围", excluded=True, by="leader", at=told.clock,
        ), "feedback", timedelta(hours=1))  # fmt: skip
    return told.events


def last_month() -> list[Envelope]:
    """D-JXS: 3 counted ratings (2 contacted and solved; satisfied, basically, not) and one
    excluded by appeal; D-ZGC: 2 ratings all good; D-CWJ: a ticket by email still open past
    its deadline and one resolved late; a proactive ticket resolved in time."""
    jxs, zgc, cwj = "110105001001", "110108001001", "110105002001"
    stories = [
        story("jxs-000001", DAY, jxs, answers=SATISFIED),
        story("jxs-000002", DAY, jxs, answers=(True, True, "basically_satisfied")),
        story("jxs-000003", DAY, jxs, answers=(False, False, "dissatisfied")),
        story("jxs-000004", DAY, jxs, answers=(False, False, "dissatisfied"), excluded=True),
        story("zgc-000001", DAY, zgc, channel="web", answers=SATISFIED),
        story("zgc-000002", DAY, zgc, channel="app", answers=SATISFIED),
        story("cwj-000001", DAY, cwj, channel="email", resolved=False),
        story("cwj-000002", DAY, cwj, in_time=False),
        story("pro-000001", DAY, jxs, channel="proactive"),
    ]
    # This month: rated, so last month's figures must not hold it.
    first = datetime.combine(THIS_MONTH, datetime.min.time(), TIME_ZONE)
    stories.append(
        story("now-000001", max(NOW - timedelta(hours=4), first), zgc, answers=SATISFIED)
    )
    return [e for told in stories for e in told]

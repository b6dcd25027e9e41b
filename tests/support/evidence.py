"""A ticket's history with photos: the citizen's on the ticket, the department's on its
contact (before) and its resolution (after), from a channel other than the phone and, if
asked, from a frequent caller. For the search tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from benchmarks.search_corpus import Story
from proto import assignments as a
from proto import tickets as t
from proto.envelope import Envelope
from proto.vocabulary import Channel

DEPARTMENT = ("D-JXS", "朝阳区建外街道办事处")


def photo(name: str) -> str:
    return f"ph_{name}{'0' * 16}"


def with_photos(
    ticket_id: str, start: datetime, channel: Channel = "web", *, frequent: bool = True
) -> list[Envelope]:
    code, name = DEPARTMENT
    story = Story(ticket_id, start)
    story.add(t.TicketCreated(
        number=f"{start:%y%m%d}9{ticket_id[-4:]}", channel=channel, request_type="complaint",
        category_code="010102", category_path=["城乡建设", "市容环境", "垃圾清运"],
        area_code="110105001001", area_path=["朝阳区", "建外街道", "永安里社区"],
        urgency="general", description="楼道堆放垃圾多日没有清理，附照片", has_phone=True,
        created_by="portal", created_at=start, photos=[photo(f"{ticket_id}c")],
        frequent_caller=frequent,
    ), "intake", timedelta(0))  # fmt: skip
    aid = f"as-{ticket_id}"
    story.add(a.AssignmentDispatched(
        assignment_id=aid, department_code=code, department_name=name, rule="territory:street",
        dispatched_at=start, deadlines={"resolve": start + timedelta(days=3)},
    ), "dispatch", timedelta(minutes=1))  # fmt: skip
    story.add(a.AssignmentAcknowledged(
        assignment_id=aid, department_code=code, by="chaoyang-jxs", at=story.clock,
    ), "dispatch", timedelta(minutes=5))  # fmt: skip
    story.add(a.CitizenContacted(
        assignment_id=aid, department_code=code, note="现场查看", by="chaoyang-jxs",
        at=story.clock, photos=[photo(f"{ticket_id}b")],
    ), "dispatch", timedelta(hours=1))  # fmt: skip
    story.add(a.AssignmentResolved(
        assignment_id=aid, department_code=code, department_name=name, outcome="已清理",
        by="chaoyang-jxs", at=story.clock, dispatched_at=start, within_sla=True,
        photos=[photo(f"{ticket_id}a1"), photo(f"{ticket_id}a2")],
    ), "dispatch", timedelta(hours=2))  # fmt: skip
    return story.events


def photos_on_timeline(timeline: list[dict[str, object]]) -> list[tuple[object, object]]:
    """(event type, photos) of each timeline entry that has photos."""
    return [(e["type"], e["photos"]) for e in timeline if e.get("photos")]

"""Synthetic ticket histories for the search service: the events a city's hotline would
publish (created, dispatched, acknowledged, contacted, resolved, rated, closed; some tickets
still open, some late), with a spike of one problem in one street in the last week.

Used by the search benchmarks and by the search tests to fill the bus or an index. Seeded,
so the same arguments always give the same history.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from proto import assignments as a
from proto import feedback as f
from proto import tickets as t
from proto.envelope import Envelope, Event
from proto.registry import encode
from services.common.bus import Message

CATEGORIES = {
    "010101": (["城乡建设", "市容环境", "噪音扰民"], ["夜间施工噪音扰民，凌晨还在打桩",
               "广场舞音响声音过大，每天晚上噪音扰民", "楼上装修电钻噪音从早上七点开始"]),
    "010102": (["城乡建设", "市容环境", "垃圾清运"], ["小区垃圾桶满溢无人清运，异味严重",
               "楼道堆放垃圾多日没有清理"]),
    "020101": (["公共服务", "供水", "停水"], ["小区停水已经两天，没有通知何时恢复供水",
               "水管爆裂导致整栋楼停水"]),
    "020201": (["公共服务", "供电", "停电"], ["突然停电，冰箱里的药品需要冷藏",
               "路灯不亮，晚上漆黑一片存在安全隐患"]),
    "030101": (["交通出行", "道路交通", "占道停车"], ["共享单车乱停乱放堵塞地铁站出口",
               "道路井盖缺失，存在安全隐患"]),
}  # fmt: skip
AREAS = {
    "110105001001": ["朝阳区", "建外街道", "永安里社区"],
    "110105001002": ["朝阳区", "建外街道", "建国里社区"],
    "110105002001": ["朝阳区", "朝外街道", "吉祥社区"],
    "110108001001": ["海淀区", "中关村街道", "科源社区"],
    "110101001001": ["东城区", "东华门街道", "多福巷社区"],
}
STREET_OFFICES = {
    "110105001": ("D-JXS", "朝阳区建外街道办事处"),
    "110105002": ("D-CWJ", "朝阳区朝外街道办事处"),
    "110108001": ("D-ZGC", "海淀区中关村街道办事处"),
    "110101001": ("D-DHM", "东城区东华门街道办事处"),
}
UTILITIES = {"020101": ("U-WATER", "北京市自来水集团"), "020201": ("U-POWER", "国网北京市电力公司")}
SPIKE = ("010101", "110105001001")  # noise in 建外街道, the last week


class Story:
    """The events of one ticket, in the order they happened."""

    def __init__(self, ticket_id: str, start: datetime) -> None:
        self.ticket_id = ticket_id
        self.clock = start
        self.events: list[Envelope] = []

    def add(self, event: Event, producer: str, after: timedelta) -> datetime:
        self.clock += after
        envelope = Envelope.wrap(event, producer=producer, ticket_id=self.ticket_id)
        self.events.append(envelope.model_copy(update={"occurred_at": self.clock}))
        return self.clock


def ticket(rng: random.Random, n: int, start: datetime, category: str, area: str,
           now: datetime) -> list[Envelope]:  # fmt: skip
    """One ticket's events up to `now`: older tickets are further along."""
    story = Story(f"syn-{n:07d}", start)
    path, texts = CATEGORIES[category]
    story.add(t.TicketCreated(
        number=f"{start:%y%m%d}{n % 100000:05d}", channel="phone", request_type="complaint",
        category_code=category, category_path=path, area_code=area, area_path=AREAS[area],
        urgency=rng.choice(["general", "general", "general", "urgent", "complex"]),
        description=rng.choice(texts), has_phone=rng.random() < 0.9,
        created_by=rng.choice(["agent1", "agent2"]), created_at=start,
    ), "intake", timedelta(0))  # fmt: skip
    code, name = UTILITIES.get(category) or STREET_OFFICES[area[:9]]
    aid = f"as-{n:07d}"
    story.add(a.AssignmentDispatched(
        assignment_id=aid, department_code=code, department_name=name, rule="territory:street",
        dispatched_at=start + timedelta(minutes=1),
        deadlines={"acknowledge": start + timedelta(hours=2), "resolve": start + timedelta(days=3)},
    ), "dispatch", timedelta(minutes=1))  # fmt: skip
    steps = _steps(rng, story, aid, code, name, start)
    for gap, happen in steps:
        if story.clock + gap > now:
            break
        happen()
    return story.events


def _steps(rng: random.Random, story: Story, aid: str, code: str, name: str,
           start: datetime) -> list[tuple[timedelta, Any]]:  # fmt: skip
    late = rng.random() < 0.2
    resolve_after = timedelta(days=rng.uniform(3.2, 6) if late else rng.uniform(0.3, 2.8))
    happy = rng.random()

    def later(event_of: Any, producer: str, gap: timedelta) -> tuple[timedelta, Any]:
        return gap, lambda: story.add(event_of(story.clock + gap), producer, gap)

    return [
        later(lambda at: a.AssignmentAcknowledged(
            assignment_id=aid, department_code=code, by=f"{code}-staff", at=at),
            "dispatch", timedelta(minutes=rng.randint(5, 90))),
        later(lambda at: a.CitizenContacted(
            assignment_id=aid, department_code=code, note="电话联系市民", by=f"{code}-staff",
            at=at), "dispatch", timedelta(hours=rng.uniform(1, 20))),
        later(lambda at: a.AssignmentResolved(
            assignment_id=aid, department_code=code, department_name=name, outcome="已处理",
            by=f"{code}-staff", at=at, dispatched_at=start, within_sla=not late),
            "dispatch", resolve_after),
        later(lambda at: f.TicketRated(
            invitation_id=f"in-{aid}", department_code=code, contacted=happy > 0.05,
            solved=happy > 0.2, via="link", by=None, at=at,
            satisfaction="satisfied" if happy > 0.4 else
            "basically_satisfied" if happy > 0.2 else "dissatisfied"),
            "feedback", timedelta(hours=rng.uniform(2, 30))),
        later(lambda at: f.TicketClosed(reason="satisfied", at=at), "feedback",
              timedelta(minutes=1)),
    ]  # fmt: skip


def history(count: int, now: datetime, *, days: int = 63, seed: int = 7,
            spike: int = 12, stalled: int = 0) -> Iterator[Envelope]:  # fmt: skip
    """`count` ordinary tickets spread over the `days` before `now`, then `spike` tickets
    of `SPIKE` in its last week, then `stalled` tickets dispatched 4 to 6 days ago that no
    department acknowledged (open past their deadlines, whatever the draws before them);
    each ticket's events in order."""
    rng = random.Random(seed)
    for n in range(count):
        start = now - timedelta(days=rng.uniform(0.2, days))
        category = rng.choice(list(CATEGORIES))
        yield from ticket(rng, n, start, category, rng.choice(list(AREAS)), now)
    for n in range(count, count + spike):
        start = now - timedelta(days=rng.uniform(0.1, 6.5))
        yield from ticket(rng, n, start, SPIKE[0], SPIKE[1], now)
    for n in range(count + spike, count + spike + stalled):
        start = now - timedelta(days=rng.uniform(4, 6))
        category = rng.choice(list(CATEGORIES))
        yield from ticket(rng, n, start, category, rng.choice(list(AREAS)), start)


def messages(envelopes: Iterator[Envelope]) -> Iterator[Message]:
    """The bus messages carrying `envelopes`, keyed by ticket as the relays publish them."""
    topics = {e.TYPE: e.TOPIC for e in (*t.EVENTS, *a.EVENTS, *f.EVENTS)}
    for envelope in envelopes:
        yield Message(
            topics[envelope.type],
            envelope.ticket_id,
            encode(envelope),
            {"type": envelope.type, "correlation_id": envelope.correlation_id},
        )


def fixed_now() -> datetime:
    return datetime(2026, 11, 27, 4, 0, tzinfo=UTC)

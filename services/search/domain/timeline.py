"""One timeline entry per event: what happened, who did it and when (留痕)."""

from __future__ import annotations

from typing import Any

from proto.envelope import Envelope, Event

# Attributes naming the person who acted, in the order events use them.
_ACTOR_FIELDS = (
    "by", "created_by", "attached_by", "answered_by", "dispatched_by", "raised_by",
)  # fmt: skip
# Free text an event carries that a reader of the timeline wants to see.
_DETAIL_FIELDS = ("note", "reason", "outcome", "comment", "answer", "description")
_SUMMARIES = {
    "TicketCreated": "受理来电，工单号 {number}",
    "CallAttached": "又一来电并入本工单，共 {calls} 次",
    "TicketAnsweredDirectly": "话务员直接答复",
    "TicketRaisedForSupervision": "多次来电，提请督办",
    "TicketQueuedForReview": "待人工派单",
    "AssignmentDispatched": "派单至 {department_name}",
    "AssignmentAcknowledged": "{department_code} 签收",
    "CitizenContacted": "{department_code} 已联系市民",
    "ProgressNoted": "{department_code} 记录进展",
    "AssignmentResolved": "{department_name} 办结",
    "AssignmentReturned": "{department_code} 退单",
    "ExtensionRequested": "{department_code} 申请延期",
    "ExtensionDecided": "延期申请已审批",
    "SlaWarningRaised": "临近时限，催办",
    "SlaBreached": "已超时限，转督办",
    "AssignmentSupervised": "督办",
    "ClocksPaused": "{department_code} 暂停计时（等待市民）",
    "ClocksResumed": "{department_code} 恢复计时",
    "RatingRequested": "已发送评价邀请",
    "TicketRated": "市民评价：{satisfaction}",
    "CallbackRecorded": "话务员回访",
    "TicketClosed": "工单办结归档",
    "ReopenRequested": "市民不满意，第 {reopen_count} 次重办",
    "AppealFiled": "{department_code} 提出申诉：{kind}",
    "AppealDecided": "{department_code} 的申诉裁定：{outcome}",
    "AppealReversed": "{department_code} 的申诉改判：{outcome}",
}
# An appeal's kind and outcome, in the words the timeline is read in.
_APPEAL_WORDS = {
    "not_ours": "非本单位职责", "outside_policy": "诉求超出政策范围",
    "citizen_unreachable": "市民无法联系", "upheld": "支持（不计入该单位三率）",
    "rejected": "驳回（计入该单位三率）",
}  # fmt: skip


def actor(envelope: Envelope, event: Event) -> str:
    """Who acted: the person an event names, the citizen for a rating, else the producer."""
    for name in _ACTOR_FIELDS:
        value = getattr(event, name, None)
        if value:
            return str(value)
    if envelope.type in ("TicketRated", "ReopenRequested"):
        return "citizen"
    return envelope.producer


def entry(envelope: Envelope, event: Event, at: str) -> dict[str, Any]:
    """The timeline entry of one event; `at` is its UTC time as stored everywhere."""
    fields = _worded(event.model_dump(mode="json", exclude={"link"}))
    item: dict[str, Any] = {
        "event_id": envelope.event_id,
        "type": envelope.type,
        "at": at,
        "by": actor(envelope, event),
        "summary": _summary(envelope.type, fields),
    }
    for name in (
        "assignment_id", "department_code", "department_name", "clock", "granted", "appeal_id",
        "kind", "outcome", "excluded",
    ):  # fmt: skip
        if fields.get(name) is not None:
            item[name] = fields[name]
    details = [str(fields[name]) for name in _DETAIL_FIELDS if fields.get(name)]
    if details:
        item["detail"] = "；".join(details)
    if fields.get("photos"):
        # The citizen's (TicketCreated) and the field's (contact, resolution): ids intake
        # serves at /media/{id}.
        item["photos"] = list(fields["photos"])
    return item


def _worded(fields: dict[str, Any]) -> dict[str, Any]:
    named = ("kind", "outcome")
    return fields | {k: _APPEAL_WORDS[v] for k in named if (v := fields.get(k)) in _APPEAL_WORDS}


def _summary(kind: str, fields: dict[str, Any]) -> str:
    template = _SUMMARIES.get(kind, kind)
    if kind == "TicketCreated" and fields.get("channel") == "proactive":
        template = "未诉先办：主动立单（{source}），工单号 {number}"
    try:
        return template.format(**fields)
    except (KeyError, IndexError):
        return kind

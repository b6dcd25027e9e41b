"""The platform's one vocabulary: every fixed value a ticket, an assignment, a caller's request
or an account can take, with its Chinese and English label. Python validates with the
Literals here (events in proto/, API models in services/*/api/models.py); pages read the
labels from `/static/vocabulary.js`, which the common page kit renders from `VOCABULARIES`
(services/common/web). Nothing else lists these values or their names.

Naming decisions:

- A ticket's position in its life is its **`status`** (intake's tickets, search's documents,
  every API that returns a ticket): one of `TicketStatus`. An assignment's (one department's
  share of a ticket) is its `status` too, from a different set, `AssignmentStatus`; the two
  are never compared. **`state`** names only dispatch's own machinery: an SLA clock's
  (`ClockState`) and the routing step of a ticket inside dispatch (`RoutingState`: waiting
  in the review queue, dispatched, returned, answered at intake), which is not the ticket's status.
- One name per ticket status across services. Two older names are still read, never written:
  intake's `review` is `pending_review` and its `contacted` is `in_progress`.
  `canonical_status` maps them, and it is the only place that does (API models apply it to
  rows written before the rename; the search projection has always used the new names, so
  `hotline rebuild-search` produces them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import BeforeValidator

TicketStatus = Literal[
    "created", "pending_review", "dispatched", "acknowledged", "in_progress", "returned",
    "supervised", "resolved", "rating", "rated", "answered", "reopened", "closed",
]  # fmt: skip
AssignmentStatus = Literal["dispatched", "acknowledged", "resolved", "returned"]
HandlingRole = Literal["lead", "co"]
ClockState = Literal["running", "paused", "stopped"]
RoutingState = Literal["review", "dispatched", "returned", "answered"]
SlaState = Literal["on_time", "warned", "breached"]
Urgency = Literal["urgent", "utilities", "general", "complex"]
RequestType = Literal["complaint", "help", "consultation", "suggestion", "report", "praise"]
# The ways a citizen reaches the hotline; a call or report names one of these.
CallerChannel = Literal["phone", "web", "app", "email"]
# A ticket's channel: a citizen's, or `proactive` (未诉先办) for one a dispatcher opened from
# a hot spot or a monthly theme, with nobody calling.
Channel = Literal[CallerChannel, "proactive"]
Role = Literal["agent", "dispatcher", "dept_staff", "leader", "admin"]
Satisfaction = Literal["satisfied", "basically_satisfied", "dissatisfied"]

# Names a ticket status had before one name was chosen; read, never written.
LEGACY_STATUS: dict[str, TicketStatus] = {"review": "pending_review", "contacted": "in_progress"}


@dataclass(frozen=True, slots=True)
class Term:
    zh: str
    en: str
    # One line for pages that explain a value (a tooltip, a legend), in each language.
    about_zh: str = ""
    about_en: str = ""


# Key prefix in the pages' dictionary → the Literal → label of each of its values.
VOCABULARIES: dict[str, tuple[object, dict[str, Term]]] = {
    "status": (
        TicketStatus,
        {
            "created": Term(
                "已受理", "Received", "已登记，等待派单", "Logged, waiting to be dispatched"
            ),
            "pending_review": Term(
                "待人工派单",
                "Awaiting a dispatcher",
                "规则未能自动派单，由派单员审核",
                "No rule routed it; a dispatcher decides",
            ),
            "dispatched": Term(
                "已派单",
                "Dispatched",
                "已派至承办单位，等待签收",
                "Sent to a department, waiting to be acknowledged",
            ),
            "acknowledged": Term(
                "已签收", "Acknowledged", "承办单位已签收", "The department took it on"
            ),
            "in_progress": Term(
                "办理中",
                "In progress",
                "已联系市民，正在办理",
                "The citizen was contacted; work is under way",
            ),
            "returned": Term(
                "已退单",
                "Returned",
                "承办单位退回，等待改派",
                "The department sent it back; waiting to be re-routed",
            ),
            "supervised": Term(
                "督办中", "Under supervision", "已提请督办", "Raised for supervision"
            ),
            "resolved": Term(
                "已办结", "Resolved", "已办结，等待市民评价", "Resolved; the citizen will rate it"
            ),
            "rating": Term(
                "待评价", "Awaiting rating", "已邀请市民评价", "The citizen was asked to rate it"
            ),
            "rated": Term("已评价", "Rated", "市民已评价", "The citizen rated it"),
            "answered": Term(
                "已直接答复",
                "Answered directly",
                "话务员当场答复",
                "The agent answered on the call",
            ),
            "reopened": Term(
                "重办",
                "Reopened",
                "市民不满意，重新办理",
                "The citizen was not satisfied; it is handled again",
            ),
            "closed": Term("已结案", "Closed", "已结案", "Closed"),
        },
    ),
    "assignment_status": (
        AssignmentStatus,
        {
            "dispatched": Term("待签收", "To acknowledge"),
            "acknowledged": Term("办理中", "In progress"),
            "resolved": Term("已办结", "Resolved"),
            "returned": Term("已退回", "Returned"),
        },
    ),
    "handling_role": (
        HandlingRole,
        {"lead": Term("牵头", "Lead"), "co": Term("协办", "Co-handling")},
    ),
    "clock_state": (
        ClockState,
        {
            "running": Term("计时中", "Running"),
            "paused": Term("已暂停", "Paused"),
            "stopped": Term("已完成", "Done"),
        },
    ),
    "routing_state": (
        RoutingState,
        {
            "review": Term("待审派单", "In the review queue"),
            "dispatched": Term("已派单", "Dispatched"),
            "returned": Term("已退单", "Returned"),
            "answered": Term("已直接答复", "Answered at intake"),
        },
    ),
    "sla_state": (
        SlaState,
        {
            "on_time": Term("正常", "On time"),
            "warned": Term("临期", "Due soon"),
            "breached": Term("超期", "Overdue"),
        },
    ),
    "urgency": (
        Urgency,
        {
            "general": Term(
                "一般", "General", "按常规时限办理", "Handled within the usual deadlines"
            ),
            "urgent": Term(
                "紧急", "Urgent", "时限更短，优先办理", "Shorter deadlines, handled first"
            ),
            "utilities": Term(
                "水电气热", "Utilities", "水、电、气、热等民生保障", "Water, power, gas, heating"
            ),
            "complex": Term(
                "疑难复杂",
                "Complex",
                "涉及多部门或历史遗留",
                "Several departments or long-standing",
            ),
        },
    ),
    "request_type": (
        RequestType,
        {
            "complaint": Term("投诉", "Complaint"),
            "help": Term("求助", "Help"),
            "consultation": Term("咨询", "Question"),
            "suggestion": Term("建议", "Suggestion"),
            "report": Term("举报", "Report"),
            "praise": Term("表扬", "Praise"),
        },
    ),
    "channel": (
        Channel,
        {
            "phone": Term("电话", "Phone"),
            "app": Term("App / 微信", "App / WeChat"),
            "web": Term("网站", "Web"),
            "email": Term("邮件", "Email"),
            "proactive": Term(
                "主动发现",
                "Proactive",
                "未诉先办：派单员从热点或每月一题主动立单，无来电人",
                "Opened by a dispatcher from a hot spot or a monthly theme, with no caller",
            ),
        },
    ),
    "role": (
        Role,
        {
            "agent": Term("话务员", "Call agent"),
            "dispatcher": Term("派单员", "Dispatcher"),
            "dept_staff": Term("承办单位", "Department staff"),
            "leader": Term("领导", "Leader"),
            "admin": Term("管理员", "Administrator"),
        },
    ),
    "satisfaction": (
        Satisfaction,
        {
            "satisfied": Term("满意", "Satisfied"),
            "basically_satisfied": Term("基本满意", "Mostly satisfied"),
            "dissatisfied": Term("不满意", "Dissatisfied"),
        },
    ),
}


def values(kind: str) -> tuple[str, ...]:
    """The values of one vocabulary, in their Literal's order."""
    return tuple(str(v) for v in get_args(VOCABULARIES[kind][0]))


def label(kind: str, value: str, lang: Literal["zh", "en"] = "zh") -> str:
    """A value's name for people; an unknown value reads as itself."""
    term = VOCABULARIES[kind][1].get(value)
    return value if term is None else getattr(term, lang)


def canonical_status(value: object) -> object:
    """A ticket status as it is named now, also when it was stored under an older name."""
    return LEGACY_STATUS.get(value, value) if isinstance(value, str) else value


# A ticket status read back from storage, where rows and documents from before the rename
# may still carry an older name.
StoredTicketStatus = Annotated[TicketStatus, BeforeValidator(canonical_status)]


def dictionary() -> dict[str, dict[str, str]]:
    """Every label, keyed `<kind>.<value>` (and `<kind>.<value>.about`), per language: what
    `/static/vocabulary.js` gives the pages."""
    out: dict[str, dict[str, str]] = {"zh": {}, "en": {}}
    for kind, (_, terms) in VOCABULARIES.items():
        for value, term in terms.items():
            out["zh"][f"{kind}.{value}"], out["en"][f"{kind}.{value}"] = term.zh, term.en
            if term.about_zh:
                out["zh"][f"{kind}.{value}.about"] = term.about_zh
                out["en"][f"{kind}.{value}.about"] = term.about_en
    return out


def _check() -> None:
    # Labels and values are written side by side above; an import fails if they drift.
    for kind, (literal, terms) in VOCABULARIES.items():
        if set(get_args(literal)) != set(terms):
            raise RuntimeError(f"vocabulary {kind!r}: labels do not match its values")


_check()

"""The monthly report (月度报告) as titled tables, laid out from a month's figures (the dict
the dashboard answers) and nothing else, so the page, the XLSX and the PDF print the same
numbers as the dashboard. Each column says what kind of value it holds: `count` (a whole
number), `rate` (a fraction of 1, shown in percent with two decimals), `number` (a
decimal, one place) or `text`; in the overview the kind is per row."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from proto.vocabulary import label
from services.common.i18n import Lang

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # as the index counts months
Kind = Literal["text", "count", "rate", "number"]
Value = str | int | float | None


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind


@dataclass(frozen=True)
class Section:
    """One table: a sheet of the XLSX, a table of the PDF, a card of the page. `kinds`
    gives each row's value kind where a column's kind is `text` but its rows differ."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: list[list[Value]]
    kinds: tuple[Kind, ...] = ()

    def kind(self, row: int, column: int) -> Kind:
        """The kind of the value at (row, column): its column's, or the row's own where the
        column is text and the value a number (the overview)."""
        kind = self.columns[column].kind
        if kind == "text" and self.kinds and isinstance(self.rows[row][column], int | float):
            return self.kinds[row]
        return kind


@dataclass(frozen=True)
class Report:
    month: str
    generated_at: datetime
    lang: Lang
    sections: list[Section]

    def title(self) -> str:
        return text(self.lang, "title", month=self.month)

    def stamp(self) -> str:
        """The month and when the figures were taken (Beijing time), for every page."""
        at = self.generated_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        return text(self.lang, "stamp", month=self.month, at=at)


TEXTS: dict[Lang, dict[str, str]] = {
    "zh": {
        "title": "12345 热线月度报告 {month}",
        "stamp": "统计月份 {month} · 生成时间 {at}（北京时间）",
        "overview": "概况", "channels": "渠道受理量", "categories": "分类受理量",
        "districts": "区域受理量", "departments": "承办单位三率排名", "streets": "街道三率排名",
        "overdue": "超期未办结", "resolutions": "办结时效", "problems": "高频问题",
        "hotspots": "热点问题", "themes": "每月一题进展",
        "item": "指标", "value": "数值", "code": "编码", "count": "受理量", "channel": "渠道",
        "category": "分类", "district": "区域", "rank": "排名", "department": "承办单位",
        "street": "街道", "rated": "参评件", "response": "响应率", "resolution": "解决率",
        "satisfaction": "满意率", "score": "综合得分", "excluded": "申诉核减",
        "overdue_open": "超期未办结件数", "resolved": "办结", "within": "按时办结",
        "late": "超时办结", "compliance": "按时办结率", "problem": "问题分类",
        "last_week": "近 7 天", "usual_week": "往常每周", "ratio": "倍数", "surprise": "异常度",
        "theme": "专题", "lead": "牵头单位", "status": "状态", "starts_on": "开始日期",
        "tasks": "任务数", "done": "已完成", "overdue_tasks": "逾期任务", "change": "周均件数变化",
        "active": "进行中", "closed": "已结束", "none": "本月暂无",
        "o.month": "统计月份", "o.generated": "生成时间（北京时间）", "o.received": "受理量",
        "o.resolved": "办结量", "o.within": "按时办结", "o.compliance": "按时办结率",
        "o.rated": "参评件", "o.response": "全市响应率", "o.resolution": "全市解决率",
        "o.satisfaction": "全市满意率", "o.score": "全市综合得分", "o.excluded": "申诉核减工单",
        "o.open": "在办工单（生成时）", "o.overdue": "超期未办结（生成时）",
        "o.breached": "超时仍在办（生成时）", "o.proactive": "主动立单（未诉先办）",
        "o.proactive_open": "主动立单在办", "o.proactive_resolved": "主动立单办结",
        "o.proactive_within": "主动立单按时办结",
    },
    "en": {
        "title": "12345 hotline monthly report {month}",
        "stamp": "Month {month} · generated {at} (Beijing time)",
        "overview": "Overview", "channels": "Tickets by channel",
        "categories": "Tickets by category",
        "districts": "Tickets by district", "departments": "Department ranking",
        "streets": "Street ranking", "overdue": "Overdue and open", "resolutions": "Timeliness",
        "problems": "Top problems", "hotspots": "Hot spots", "themes": "Monthly themes",
        "item": "Item", "value": "Value", "code": "Code", "count": "Tickets",
        "channel": "Channel", "category": "Category", "district": "District", "rank": "Rank",
        "department": "Department", "street": "Street", "rated": "Ratings",
        "response": "Response rate", "resolution": "Resolution rate",
        "satisfaction": "Satisfaction rate", "score": "Score", "excluded": "Excluded by appeal",
        "overdue_open": "Overdue tickets", "resolved": "Resolved", "within": "On time",
        "late": "Late", "compliance": "On-time rate", "problem": "Problem",
        "last_week": "Last 7 days", "usual_week": "Usual week", "ratio": "Ratio",
        "surprise": "Surprise", "theme": "Theme", "lead": "Lead department", "status": "Status",
        "starts_on": "Starts on", "tasks": "Tasks", "done": "Done",
        "overdue_tasks": "Overdue tasks",
        "change": "Weekly tickets change", "active": "Active", "closed": "Closed",
        "none": "None this month",
        "o.month": "Month", "o.generated": "Generated (Beijing time)",
        "o.received": "Tickets received", "o.resolved": "Tickets resolved",
        "o.within": "Resolved on time", "o.compliance": "On-time rate", "o.rated": "Ratings",
        "o.response": "City response rate", "o.resolution": "City resolution rate",
        "o.satisfaction": "City satisfaction rate", "o.score": "City score",
        "o.excluded": "Tickets excluded by appeal", "o.open": "Open (when generated)",
        "o.overdue": "Overdue (when generated)",
        "o.breached": "Late and still open (when generated)",
        "o.proactive": "Proactive tickets", "o.proactive_open": "Proactive tickets open",
        "o.proactive_resolved": "Proactive tickets resolved",
        "o.proactive_within": "Proactive tickets resolved on time",
    },
}  # fmt: skip


def text(lang: Lang, key: str, **params: Any) -> str:
    return TEXTS[lang][key].format(**params)


def sections(figures: Mapping[str, Any], lang: Lang) -> list[Section]:
    """Every section of the report, in the order it is printed."""
    return [make(figures, lang) for make in SECTIONS]


Getter = str | Callable[[Mapping[str, Any]], Value]
Spec = tuple[str, Kind, Getter]  # (heading's text key, kind, field or function of the row)


def _named(row: Mapping[str, Any]) -> Value:
    return row.get("label") or row["key"]


def _table(
    key: str, lang: Lang, items: Sequence[Mapping[str, Any]], specs: Sequence[Spec]
) -> Section:
    heads = tuple(Column(text(lang, name), kind) for name, kind, _ in specs)
    rows: list[list[Value]] = [
        [get(item) if callable(get) else item[get] for _, _, get in specs] for item in items
    ]
    return Section(key, text(lang, key), heads, rows)


def overview(figures: Mapping[str, Any], lang: Lang) -> Section:
    totals, city, proactive = figures["totals"], figures["city"], figures["proactive"]
    resolved, within = totals["resolved_this_month"], totals["within_sla_this_month"]
    at = datetime.fromisoformat(figures["generated_at"])
    excluded = sum(row["excluded_tickets"] for row in figures["departments"])
    listed: list[tuple[str, Kind, Value]] = [
        ("o.month", "text", figures["month"][:7]),
        ("o.generated", "text", _beijing(at)),
        ("o.received", "count", totals["created_this_month"]),
        ("o.resolved", "count", resolved),
        ("o.within", "count", within),
        ("o.compliance", "rate", round(within / resolved, 4) if resolved else None),
        ("o.rated", "count", city["m_rated"]),
        ("o.response", "rate", city["response_rate"]),
        ("o.resolution", "rate", city["resolution_rate"]),
        ("o.satisfaction", "rate", city["satisfaction_rate"]),
        ("o.score", "rate", city["score"]),
        ("o.excluded", "count", excluded),
        ("o.open", "count", totals["open"]),
        ("o.overdue", "count", totals["overdue"]),
        ("o.breached", "count", totals["breached_open"]),
        ("o.proactive", "count", proactive["created_this_month"]),
        ("o.proactive_open", "count", proactive["open"]),
        ("o.proactive_resolved", "count", proactive["resolved_this_month"]),
        ("o.proactive_within", "count", proactive["within_sla_this_month"]),
    ]
    heads = (Column(text(lang, "item"), "text"), Column(text(lang, "value"), "text"))
    rows: list[list[Value]] = [[text(lang, key), value] for key, _, value in listed]
    kinds = tuple(kind for _, kind, _ in listed)
    return Section("overview", text(lang, "overview"), heads, rows, kinds)


def channels(figures: Mapping[str, Any], lang: Lang) -> Section:
    specs: list[Spec] = [
        ("channel", "text", lambda r: label("channel", r["key"], lang)),
        ("count", "count", "count"),
    ]
    return _table("channels", lang, figures["volume"]["channels"], specs)


def _counted(key: str, name: str) -> Callable[[Mapping[str, Any], Lang], Section]:
    """A section of tickets received per code of `figures["volume"][key]`."""

    def make(figures: Mapping[str, Any], lang: Lang) -> Section:
        specs: list[Spec] = [
            ("code", "text", "key"),
            (name, "text", _named),
            ("count", "count", "count"),
        ]
        return _table(key, lang, figures["volume"][key], specs)

    return make


def _ranking(key: str, name: str) -> Callable[[Mapping[str, Any], Lang], Section]:
    """The three rates per department or street, in rank order."""

    def make(figures: Mapping[str, Any], lang: Lang) -> Section:
        specs: list[Spec] = [
            ("rank", "count", "rank"), ("code", "text", "key"), (name, "text", _named),
            ("rated", "count", "m_rated"), ("response", "rate", "response_rate"),
            ("resolution", "rate", "resolution_rate"),
            ("satisfaction", "rate", "satisfaction_rate"), ("score", "rate", "score"),
            ("excluded", "count", "excluded_tickets"),
        ]  # fmt: skip
        return _table(key, lang, figures[key], specs)

    return make


def overdue(figures: Mapping[str, Any], lang: Lang) -> Section:
    specs: list[Spec] = [
        ("code", "text", "key"), ("department", "text", _named), ("overdue_open", "count", "count"),
    ]  # fmt: skip
    return _table("overdue", lang, figures["overdue"], specs)


def resolutions(figures: Mapping[str, Any], lang: Lang) -> Section:
    specs: list[Spec] = [
        ("code", "text", "key"), ("department", "text", _named),
        ("resolved", "count", "m_resolved"), ("within", "count", "m_within_sla"),
        ("late", "count", "late"), ("compliance", "rate", "compliance"),
    ]  # fmt: skip
    return _table("resolutions", lang, figures["resolutions"], specs)


def hotspots(figures: Mapping[str, Any], lang: Lang) -> Section:
    specs: list[Spec] = [
        ("problem", "text", lambda s: s.get("category_name") or s["category_code"]),
        ("street", "text", lambda s: s.get("area_name") or s["area_code"]),
        ("last_week", "count", "count"), ("usual_week", "number", "expected"),
        ("ratio", "number", "ratio"), ("surprise", "number", "score"),
    ]  # fmt: skip
    return _table("hotspots", lang, figures["hotspots"], specs)


def themes(figures: Mapping[str, Any], lang: Lang) -> Section:
    def lead(theme: Mapping[str, Any]) -> Value:
        code = theme["lead_department"]
        return str((theme.get("department_names") or {}).get(code) or code)

    specs: list[Spec] = [
        ("theme", "text", "title"), ("lead", "text", lead),
        ("status", "text", lambda th: text(lang, th["status"])),
        ("starts_on", "text", "starts_on"),
        ("tasks", "count", lambda th: th["progress"]["tasks"]),
        ("done", "count", lambda th: th["progress"]["done"]),
        ("overdue_tasks", "count", lambda th: th["progress"]["overdue"]),
        ("change", "rate", lambda th: th["volume"]["change"]),
    ]  # fmt: skip
    return _table("themes", lang, figures["themes"], specs)


def _beijing(at: datetime) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


SECTIONS: tuple[Callable[[Mapping[str, Any], Lang], Section], ...] = (
    overview,
    channels,
    _counted("categories", "category"),
    _counted("districts", "district"),
    _ranking("departments", "department"),
    _ranking("streets", "street"),
    overdue,
    resolutions,
    _counted("problems", "problem"),
    hotspots,
    themes,
)

"""The search service's texts: problem messages and the names used in exported files."""

from __future__ import annotations

from typing import Literal

from proto.vocabulary import label, values

MESSAGES = {
    "search.ticket_not_found": {"zh": "工单 {id} 不存在", "en": "Ticket {id} not found"},
    "search.unavailable": {
        "zh": "检索服务暂时不可用，请稍后重试",
        "en": "Search is unavailable right now, try again shortly",
    },
    "search.bad_request": {"zh": "无法执行该检索", "en": "This search cannot be run"},
    "search.query_too_long": {
        "zh": "检索词过长（最多 {max} 个字符）",
        "en": "The query is too long (at most {max} characters)",
    },
    "search.query_unclosed_quote": {
        "zh": "检索词中的引号没有闭合",
        "en": "A quote in the query is not closed",
    },
    "search.query_lone_minus": {
        "zh": "减号后面需要跟要排除的词",
        "en": "A minus must stand right before the word to leave out",
    },
    "search.query_only_exclusions": {
        "zh": "除了要排除的词，还需要至少一个要查找的词",
        "en": "Besides the words to leave out, give at least one word to look for",
    },
    "search.bad_choice": {
        "zh": "取值无效，可选：{allowed}",
        "en": "Invalid value; one of: {allowed}",
    },
    "search.bad_code": {"zh": "编码格式无效", "en": "Not a valid code"},
    "search.theme_not_found": {"zh": "专题 {id} 不存在", "en": "Theme {id} not found"},
    "search.unknown_hotspot_alarm": {
        "zh": "热点预警 {id} 不存在",
        "en": "Hot-spot alarm {id} not found",
    },
    "search.theme_task_not_found": {
        "zh": "该专题没有任务 {id}",
        "en": "The theme has no task {id}",
    },
    "search.theme_needs_class": {
        "zh": "请选择一个热点，或填写分类和区域（二者选一）",
        "en": "Pick a hot spot, or give a category and areas (one or the other)",
    },
    "search.theme_lead_is_co": {
        "zh": "牵头单位不能同时是配合单位",
        "en": "The lead department cannot also be a co-department",
    },
    "search.bad_date": {
        "zh": "日期格式应为 2026-11-28 或带时区的 ISO 时间",
        "en": "Use a date like 2026-11-28 or an ISO time with an offset",
    },
    "search.date_out_of_range": {
        "zh": "日期应在 {first} 至 {last} 之间",
        "en": "Use a date from {first} to {last}",
    },
    "search.range_backwards": {
        "zh": "结束日期早于开始日期",
        "en": "The end date is before the start date",
    },
    "search.too_deep": {
        "zh": "翻页不能超过第 {max} 条，请缩小范围或使用 after 游标继续",
        "en": "Pages end at hit {max}; narrow the search or continue with the after cursor",
    },
    "search.cursor_needs_sort": {
        "zh": "游标翻页需要按时间或期限排序，且不能同时使用偏移量",
        "en": "Cursor paging needs a sort by time or deadline, and no offset",
    },
    "search.bad_cursor": {
        "zh": "游标无效，请从第一页重新检索",
        "en": "The cursor is not valid; search again from the first page",
    },
    "search.bad_window": {
        "zh": "取值超出范围（{min}–{max}）",
        "en": "Out of range ({min}–{max})",
    },
    "search.bad_month": {
        "zh": "月份格式应为 YYYY-MM，例如 2026-11",
        "en": "A month is written YYYY-MM, e.g. 2026-11",
    },
    "search.month_too_early": {
        "zh": "最早可查询 {earliest}",
        "en": "The earliest month is {earliest}",
    },
    "search.month_in_future": {
        "zh": "{month} 尚未开始，最晚可查询 {current}",
        "en": "{month} has not begun; the latest month is {current}",
    },
}

# Column titles and values of the CSV export, by language.
EXPORT_COLUMNS = {
    "zh": ["工单号", "状态", "诉求类型", "紧急程度", "来源渠道", "分类", "地区", "承办单位",
           "受理时间", "办理期限", "是否超期", "来电次数", "诉求内容"],
    "en": ["Number", "Status", "Request type", "Urgency", "Channel", "Category", "Area",
           "Department", "Received", "Due", "Overdue", "Calls", "Description"],
}  # fmt: skip
_YES_NO: tuple[tuple[Literal["zh", "en"], str, str], ...] = (
    ("zh", "是", "否"),
    ("en", "Yes", "No"),
)
# The export names a document's status, request type, urgency and channel as the pages do.
VALUES = {
    lang: {
        **{
            v: label(kind, v, lang)
            for kind in ("status", "request_type", "urgency", "channel")
            for v in values(kind)
        },
        "true": yes,
        "false": no,
    }
    for lang, yes, no in _YES_NO
}

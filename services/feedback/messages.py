"""Feedback's texts for problems, Chinese first."""

from __future__ import annotations

MESSAGES = {
    "feedback.link_invalid": {
        "zh": "评价链接无效。请确认打开的是短信中的完整链接。",
        "en": "This rating link is not valid. Check that the whole link from the text was opened.",
    },
    "feedback.link_expired": {
        "zh": "评价链接已过期。如需反映问题，请拨打 12345。",
        "en": "This rating link has expired. To report a problem, call 12345.",
    },
    "feedback.link_superseded": {
        "zh": "此链接已被新的评价邀请取代，请使用最近一条短信中的链接。",
        "en": "A newer invitation replaced this link; use the link in the latest text.",
    },
    "feedback.link_used": {
        "zh": "此链接已经提交过评价，感谢您的反馈。",
        "en": "This link has already been used to rate. Thank you for your feedback.",
    },
    "feedback.rate_limited": {
        "zh": "操作过于频繁，请 {seconds} 秒后再试。",
        "en": "Too many requests; try again in {seconds} seconds.",
    },
    "feedback.ticket_not_found": {"zh": "工单 {id} 不存在", "en": "Ticket {id} not found"},
    "feedback.not_awaiting_rating": {
        "zh": "工单 {id} 当前没有待回访的评价邀请。",
        "en": "Ticket {id} has no invitation awaiting an answer.",
    },
    "feedback.callback_answers_required": {
        "zh": "已联系上市民时，须记录三个问题的回答。",
        "en": "When the citizen was reached, record the answers to all three questions.",
    },
    "feedback.callback_answers_unexpected": {
        "zh": "未联系上市民时不能记录回答。",
        "en": "Answers cannot be recorded when the citizen was not reached.",
    },
    "feedback.invalid_month": {
        "zh": "月份格式应为 YYYY-MM，例如 2024-05。",
        "en": "A month is written YYYY-MM, e.g. 2024-05.",
    },
    "feedback.month_too_early": {
        "zh": "最早可查询 {earliest}。",
        "en": "The earliest month is {earliest}.",
    },
    "feedback.month_in_future": {
        "zh": "{month} 尚未开始，最晚可查询 {current}。",
        "en": "{month} has not begun; the latest month is {current}.",
    },
}

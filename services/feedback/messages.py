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
    "feedback.assignment_not_found": {
        "zh": "未找到本单位的派单 {id}。",
        "en": "Your department has no assignment {id}.",
    },
    "feedback.appeal_not_found": {"zh": "申诉 {id} 不存在。", "en": "Appeal {id} not found."},
    "feedback.appeal_pending": {
        "zh": "本单位已就此工单提出同类申诉，正在等待裁定。",
        "en": "Your department's appeal of this kind on this ticket is awaiting a decision.",
    },
    "feedback.appeal_upheld": {
        "zh": "本单位就此工单的同类申诉已获支持，无需再次申诉。",
        "en": "Your department's appeal of this kind on this ticket was already upheld.",
    },
    "feedback.appeal_nothing_assessed": {
        "zh": "此工单尚无计入本单位的市民评价，无可申诉的考核结果。",
        "en": "No rating of this ticket counts for your department: nothing to appeal.",
    },
    "feedback.appeal_window_closed": {
        "zh": "已超过申诉期限（{days} 天）。",
        "en": "The time to appeal ({days} days) has passed.",
    },
    "feedback.appeal_already_decided": {
        "zh": "该申诉已裁定（{status}），如需改判请由领导撤销原裁定。",
        "en": "This appeal was already decided ({status}); a leader may reverse the decision.",
    },
    "feedback.appeal_not_decided": {
        "zh": "该申诉尚未裁定，无可撤销的裁定。",
        "en": "This appeal has not been decided yet; there is no decision to reverse.",
    },
    "feedback.appeal_reverse_leaders": {
        "zh": "只有领导可以撤销申诉裁定。",
        "en": "Only a leader may reverse an appeal's decision.",
    },
    "validation.appeal_photo_id": {
        "zh": "不是有效的照片编号，请通过上传照片获得。",
        "en": "Is not a photo id; upload the photo to get one.",
    },
    "validation.appeal_photos_repeated": {
        "zh": "同一张照片不能重复附上。",
        "en": "The same photo is attached twice.",
    },
}

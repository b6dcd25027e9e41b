"""Dispatch's message catalogue (Chinese first), for problems the API returns."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "dispatch.assignment_not_found": {"zh": "派单 {id} 不存在", "en": "Assignment {id} not found"},
    "dispatch.ticket_not_found": {"zh": "工单 {id} 不存在", "en": "Ticket {id} not found"},
    "dispatch.extension_not_found": {
        "zh": "延期申请 {id} 不存在",
        "en": "Extension request {id} not found",
    },
    "dispatch.already_acknowledged": {
        "zh": "该派单已签收，无需重复签收。",
        "en": "This assignment has already been acknowledged.",
    },
    "dispatch.not_acknowledged": {
        "zh": "请先签收该派单。",
        "en": "Acknowledge this assignment first.",
    },
    "dispatch.not_open": {
        "zh": "该派单已办结或已退回，不能再操作。",
        "en": "This assignment is already resolved or returned; nothing more can be done.",
    },
    "dispatch.contact_first": {
        "zh": "办结前须先记录与市民的联系。",
        "en": "Record the contact with the citizen before resolving.",
    },
    "dispatch.unknown_return_reason": {
        "zh": "退单原因 {code} 不在可选列表中。",
        "en": "Return reason {code} is not one of the listed reasons.",
    },
    "dispatch.already_waiting": {
        "zh": "已在等待市民，计时已暂停。",
        "en": "Already waiting on the citizen; the clocks are paused.",
    },
    "dispatch.not_waiting": {
        "zh": "当前没有暂停计时。",
        "en": "The clocks are not paused.",
    },
    "dispatch.already_supervised": {
        "zh": "该派单已在督办清单中。",
        "en": "This assignment is already on the supervision list.",
    },
    "dispatch.not_supervised": {
        "zh": "该派单不在督办清单中。",
        "en": "This assignment is not on the supervision list.",
    },
    "dispatch.extension_pending": {
        "zh": "已有一项延期申请等待审批。",
        "en": "An extension request is already waiting for a decision.",
    },
    "dispatch.extension_after_breach": {
        "zh": "办结时限已超期，不能再申请或批准延期。",
        "en": "The resolve deadline has passed; an extension can no longer be asked or granted.",
    },
    "dispatch.extension_not_later": {
        "zh": "新的办结时间必须晚于当前时限和现在。",
        "en": "The new deadline must be later than both the current deadline and now.",
    },
    "dispatch.extension_beyond_policy": {
        "zh": "新的办结时间超出政策允许的最长延期（北京时间最晚 {limit}）。",
        "en": "The new deadline is beyond what the policy allows (latest {limit}, Beijing time).",
    },
    "dispatch.extension_decided": {
        "zh": "该延期申请已审批。",
        "en": "This extension request has already been decided.",
    },
    "dispatch.concurrent_change": {
        "zh": "该派单刚被他人修改，请刷新后重试。",
        "en": "Someone else just changed this assignment; reload and try again.",
    },
    "dispatch.ticket_not_waiting": {
        "zh": "工单 {number} 已派出，不在待派清单中。",
        "en": "Ticket {number} has been dispatched already; it is not waiting.",
    },
    "dispatch.no_suggestion": {
        "zh": "工单 {number} 没有派单建议，请手动派单。",
        "en": "Ticket {number} carries no suggestion; dispatch it by hand.",
    },
    "dispatch.suggestion_review_only": {
        "zh": "派单建议只用于待审核的工单；工单 {number} 是退回的工单，请手动派单。",
        "en": "Suggestions apply to tickets on the review queue; ticket {number} was "
        "returned, dispatch it by hand.",
    },
    "dispatch.suggestion_without_department": {
        "zh": "工单 {number} 的建议类别在该地点没有对应的承办单位，请手动派单。",
        "en": "No rule sends the suggested category of ticket {number} to a department at "
        "its place; dispatch it by hand.",
    },
    "dispatch.unknown_department": {
        "zh": "承办单位 {code} 不存在。",
        "en": "There is no department with code {code}.",
    },
    "dispatch.co_repeats_department": {
        "zh": "协办单位不能重复，也不能与牵头单位相同。",
        "en": "Co-handling departments must differ from each other and from the lead.",
    },
    "dispatch.unknown_category": {
        "zh": "分类 {code} 不在分类目录中。",
        "en": "Category {code} is not in the catalogue.",
    },
    "dispatch.unknown_area": {
        "zh": "区域 {code} 不是已知的区或街乡镇。",
        "en": "Area {code} is not a known district or street.",
    },
    "dispatch.rule_matches_everything": {
        "zh": "规则须至少限定分类或区域之一。",
        "en": "A rule must name a category, an area, or both.",
    },
    "dispatch.rule_exists": {"zh": "规则 {id} 已存在。", "en": "Rule {id} already exists."},
    "dispatch.rule_not_found": {"zh": "规则 {id} 不存在。", "en": "Rule {id} not found."},
    "dispatch.notice_needs_phone": {
        "zh": "短信通知须填写值班电话。",
        "en": "SMS notices need a duty phone number.",
    },
    "dispatch.notice_needs_url": {
        "zh": "推送通知须填写以 http:// 或 https:// 开头的接收地址。",
        "en": "Webhook notices need a URL starting with http:// or https://.",
    },
    "dispatch.calendar_other_year": {
        "zh": "日期须都在 {year} 年内。",
        "en": "Every date must be in {year}.",
    },
    "dispatch.calendar_day_twice": {
        "zh": "同一天不能重复列出，也不能既是假日又是调休上班日。",
        "en": "A day is listed twice, or as both a holiday and a make-up workday.",
    },
    "dispatch.calendar_weekday_workday": {
        "zh": "调休上班日须是周六或周日（工作日本来就上班）。",
        "en": "Make-up workdays must fall on a Saturday or Sunday (weekdays are worked anyway).",
    },
    "dispatch.calendar_too_few_holidays": {
        "zh": "请列出通知中该年的全部放假日期（至少 {least} 天）。",
        "en": "List every day off the year's notice gives (at least {least}).",
    },
    # SLA policies (time limits) edited by admins.
    "dispatch.sla_limit_order": {
        "zh": "该时限不能短于前一环节的时限（两者计时方式相同时）：签收 ≤ 联系 ≤ 办结。",
        "en": "This limit cannot be shorter than the step before it on the same basis: "
        "acknowledge ≤ contact ≤ resolve.",
    },
    "dispatch.sla_unknown_policy": {
        "zh": "时限政策 {name} 不存在。",
        "en": "There is no time-limit policy named {name}.",
    },
    "dispatch.sla_unknown_category": {
        "zh": "类别 {code} 不在类别目录中。",
        "en": "Category {code} is not in the category catalogue.",
    },
    "dispatch.sla_category_not_mapped": {
        "zh": "类别 {code} 没有单独设定时限政策。",
        "en": "Category {code} has no time-limit policy of its own.",
    },
    # Field evidence: pydantic error types of the contact's and resolution's `photos`.
    "validation.evidence_photo_id": {
        "zh": "不是有效的照片编号，请通过上传照片获得。",
        "en": "Is not a photo id; upload the photo to get one.",
    },
    "validation.evidence_photos_repeated": {
        "zh": "同一张照片不能重复附上。",
        "en": "The same photo is attached twice.",
    },
}

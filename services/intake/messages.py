"""Intake's problem texts, Chinese first."""

from __future__ import annotations

MESSAGES = {
    "intake.unknown_category": {
        "zh": "分类 {code} 不存在或不是末级分类",
        "en": "Category {code} does not exist or is not a leaf category",
    },
    "intake.retired_category": {
        "zh": "分类 {code} 已停用，不能用于新来电，请选择现行分类",
        "en": "Category {code} is retired and cannot be used for new calls; pick a current one",
    },
    "intake.unknown_area": {
        "zh": "地址库中没有编码为 {code} 的区域",
        "en": "The address library has no area with code {code}",
    },
    "intake.unresolved_address": {
        "zh": "无法在地址库中确定该地址，请从建议中选择：{names}",
        "en": "The address library cannot pin this address down; choose a suggestion: {names}",
    },
    "intake.invalid_phone": {
        "zh": "来电号码不是有效的手机或固定电话号码",
        "en": "The caller's number is not a valid mobile or landline number",
    },
    "intake.ticket_not_found": {"zh": "工单 {id} 不存在", "en": "Ticket {id} not found"},
    "intake.call_not_found": {"zh": "来电记录 {id} 不存在", "en": "Call {id} not found"},
    "intake.duplicate_missing": {
        "zh": "要合并的工单 {id} 不存在",
        "en": "The ticket {id} to attach this call to does not exist",
    },
    "intake.duplicate_closed": {
        "zh": "工单 {id} 已办结关闭，不能再合并来电，请新建工单",
        "en": "Ticket {id} is closed; log the call as a new ticket instead",
    },
    "intake.answer_needs_consultation": {
        "zh": "只有咨询类来电可以直接答复",
        "en": "Only consultations can be answered directly",
    },
    "intake.answer_not_with_duplicate": {
        "zh": "合并到已有工单的来电不能同时直接答复",
        "en": "A call attached to an existing ticket cannot also be answered directly",
    },
    "intake.unknown_knowledge_entry": {
        "zh": "知识库中没有可用的条目 {id}",
        "en": "The knowledge base has no active entry {id}",
    },
    "intake.knowledge_not_found": {
        "zh": "知识库条目 {id} 不存在",
        "en": "Knowledge entry {id} not found",
    },
    "intake.reveal_forbidden": {
        "zh": "只有受理该来电的话务员在受理后 {hours} 小时内可以查看完整号码",
        "en": "Only the agent who took this call may see the full number, within {hours} hours",
    },
    "intake.category_not_found": {"zh": "分类 {code} 不存在", "en": "Category {code} not found"},
    "intake.area_not_found": {"zh": "区域 {code} 不存在", "en": "Area {code} not found"},
    "intake.category_code_format": {
        "zh": "分类编码 {code} 应为 2、4 或 6 位数字",
        "en": "Category code {code} must be 2, 4 or 6 digits",
    },
    "intake.category_exists": {
        "zh": "分类编码 {code} 已被使用（停用的编码也不能复用）",
        "en": "Category code {code} is taken (retired codes are never reused)",
    },
    "intake.category_parent_mismatch": {
        "zh": "分类 {code} 的上级应为其编码去掉最后两位",
        "en": "The parent of category {code} must be its code without the last two digits",
    },
    "intake.category_parent_unknown": {
        "zh": "上级分类 {code} 不存在或已停用",
        "en": "Parent category {code} does not exist or is retired",
    },
    "intake.category_unchanged": {
        "zh": "分类 {code} 已处于该状态",
        "en": "Category {code} is already in that state",
    },
    "intake.reveal_no_callback": {
        "zh": "工单 {id} 当前没有待回访，不能查看号码",
        "en": "Ticket {id} has no callback due, so its number cannot be shown",
    },
    "intake.reveal_no_number": {
        "zh": "工单 {id} 的来电人没有留下号码（或号码已按规定删除）",
        "en": "The caller of ticket {id} left no number (or it has been erased)",
    },
    "intake.caller_not_found": {
        "zh": "没有该号码的来电记录（或已删除）",
        "en": "No calls from this number are on record (or they were erased)",
    },
}

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
    "intake.category_moved": {
        "zh": "分类 {code} 已移到新编码 {to}，请在新位置修改",
        "en": "Category {code} moved to {to}: change it there",
    },
    "intake.category_retired_move": {
        "zh": "分类 {code} 已停用，不能移动（先恢复）",
        "en": "Category {code} is retired and cannot be moved (restore it first)",
    },
    "intake.category_move_level": {
        "zh": "分类 {code} 只能移到高它一级的分类下（{parent} 不是；一级分类不能移动）",
        "en": "Category {code} can only move under a category one level above it ({parent} "
        "is not; top-level categories do not move)",
    },
    "intake.category_move_same": {
        "zh": "分类 {code} 已在 {parent} 之下",
        "en": "Category {code} is already under {parent}",
    },
    "intake.category_parent_full": {
        "zh": "分类 {code} 下的 99 个编码都已用过",
        "en": "All 99 codes under category {code} have been used",
    },
    "intake.category_action": {
        "zh": "未知的分类操作 {action}",
        "en": "Unknown catalogue action {action}",
    },
    "intake.catalogue_version_order": {
        "zh": "版本 {a} 应不晚于版本 {b}",
        "en": "Version {a} must not be later than version {b}",
    },
    "intake.catalogue_version_unknown": {
        "zh": "分类目录没有版本 {version}（最新为 {latest}）",
        "en": "The catalogue has no version {version} (the latest is {latest})",
    },
    "intake.reveal_no_callback": {
        "zh": "工单 {id} 当前没有待回访，不能查看号码",
        "en": "Ticket {id} has no callback due, so its number cannot be shown",
    },
    "intake.reveal_no_number": {
        "zh": "工单 {id} 的来电人没有留下号码（或号码已按规定删除）",
        "en": "The caller of ticket {id} left no number (or it has been erased)",
    },
    "intake.portal.not_mobile": {
        "zh": "请填写手机号码，验证码将以短信发送",
        "en": "Enter a mobile number: the code is sent by text message",
    },
    "intake.portal.too_many_codes": {
        "zh": "获取验证码过于频繁，请一小时后再试",
        "en": "Too many codes were asked for; try again in an hour",
    },
    "intake.portal.too_many_reports": {
        "zh": "今天提交的诉求已达上限，请明天再试或拨打12345",
        "en": "The day's limit of reports is reached; try tomorrow or call 12345",
    },
    "intake.portal.wrong_code": {
        "zh": "验证码不正确，还可以再试 {left} 次",
        "en": "The code is wrong; {left} attempts left",
    },
    "intake.portal.code_exhausted": {
        "zh": "验证码错误次数过多，请重新获取验证码",
        "en": "Too many wrong attempts; ask for a new code",
    },
    "intake.portal.code_expired": {
        "zh": "验证码已过期，请重新获取",
        "en": "The code has expired; ask for a new one",
    },
    "intake.portal.code_used": {
        "zh": "该验证码已使用，请重新获取",
        "en": "The code was already used; ask for a new one",
    },
    "intake.portal.unverified": {
        "zh": "手机号码尚未验证或验证已过期，请重新获取验证码",
        "en": "The number is not verified (or the verification expired); ask for a new code",
    },
    "intake.portal.no_place_near": {
        "zh": "无法根据您的位置确定区域，请输入社区名称或描述地点",
        "en": "No known area is near your position; type the community or describe the place",
    },
    "intake.portal.link_invalid": {
        "zh": "查询链接无效或已失效，请用工单号和验证码查询",
        "en": "This tracking link is not valid (any more); look the request up by its number",
    },
    "intake.caller_not_found": {
        "zh": "没有该号码的来电记录（或已删除）",
        "en": "No calls from this number are on record (or they were erased)",
    },
    "intake.photo_too_large": {
        "zh": "照片不能超过 5 MB，请压缩或换一张后重试",
        "en": "A photo may be at most 5 MB; shrink it or choose another",
    },
    "intake.photo_unsupported_type": {
        "zh": "只接受 JPEG、PNG 或 WebP 格式的照片",
        "en": "Only JPEG, PNG or WebP photos are accepted",
    },
    "intake.photo_unreadable": {
        "zh": "照片文件已损坏或无法识别，请换一张",
        "en": "The photo is damaged or cannot be read; choose another",
    },
    "intake.photo_too_many_pixels": {
        "zh": "照片像素过多（最多 5000 万像素），请缩小后重试",
        "en": "The photo has too many pixels (at most 50 megapixels); shrink it and retry",
    },
    "intake.photo_not_found": {"zh": "照片 {id} 不存在", "en": "Photo {id} not found"},
    "intake.photo_attached": {
        "zh": "照片 {id} 已附在其他工单上，请重新上传",
        "en": "Photo {id} already belongs to a ticket; upload it again",
    },
    "intake.photos_too_many": {
        "zh": "每张工单最多附 {max} 张照片",
        "en": "A ticket may have at most {max} photos",
    },
    "intake.photo_repeated": {
        "zh": "同一张照片不能重复附加",
        "en": "The same photo cannot be attached twice",
    },
    "intake.photos_not_with_duplicate": {
        "zh": "合并到已有工单的来电不能附照片，请新建工单",
        "en": "A call attached to an existing ticket cannot carry photos; log a new ticket",
    },
    "intake.invalid_email": {
        "zh": "不是有效的电子邮箱地址",
        "en": "Not a valid email address",
    },
    "intake.caller_phone_or_email": {
        "zh": "请填写来电号码或电子邮箱（二者之一）",
        "en": "Give either the caller's number or their email address",
    },
    "intake.rate_limited": {
        "zh": "请求过于频繁，请 {seconds} 秒后再试",
        "en": "Too many requests; try again in {seconds} seconds",
    },
    "intake.photo_rate_limited": {
        "zh": "上传过于频繁，请 {seconds} 秒后再试",
        "en": "Too many uploads; try again in {seconds} seconds",
    },
    # Open311 GeoReport v2: the description of each error in the specification's form.
    "open311.format": {
        "zh": "格式只能是 json 或 xml（例如 services.json）",
        "en": "The format must be json or xml (e.g. services.json)",
    },
    "open311.jurisdiction": {
        "zh": "jurisdiction_id {value} 不是本热线的辖区（应为 {expected}）",
        "en": "jurisdiction_id {value} is not this hotline's jurisdiction ({expected})",
    },
    "open311.api_key": {
        "zh": "api_key 缺失、无效或已被吊销",
        "en": "api_key was not provided, is invalid or was revoked",
    },
    "open311.control_characters": {
        "zh": "请求的地址或参数中含有控制字符",
        "en": "The request's path or parameters contain control characters",
    },
    "open311.address_rate_limited": {
        "zh": "请求过于频繁，请 {seconds} 秒后再试",
        "en": "Too many requests; try again in {seconds} seconds",
    },
    "open311.rate_limited": {
        "zh": "该 api_key 提交过于频繁，请 {seconds} 秒后再试",
        "en": "Too many requests with this api_key; try again in {seconds} seconds",
    },
    "open311.service_code_missing": {"zh": "缺少 service_code", "en": "service_code is required"},
    "open311.service_not_found": {
        "zh": "service_code {code} 不存在或已停用",
        "en": "service_code {code} was not found or is retired",
    },
    "open311.location_missing": {
        "zh": "缺少位置：需提供 lat 和 long、address_string 或 address_id 之一",
        "en": "A location is required: lat and long, address_string or address_id",
    },
    "open311.lat_long": {
        "zh": "lat 和 long 须同时提供，且为有效的 WGS84 经纬度",
        "en": "lat and long must both be given as valid WGS84 coordinates",
    },
    "open311.address_id": {
        "zh": "address_id {code} 不是地址库中的区域编码",
        "en": "address_id {code} is not an area code of the address library",
    },
    "open311.description_too_long": {
        "zh": "description 不能超过 {max} 个字符",
        "en": "description must be at most {max} characters",
    },
    "open311.media_url": {
        "zh": "media_url 须是 http(s) 网址，且不超过 1000 个字符",
        "en": "media_url must be an http(s) URL of at most 1000 characters",
    },
    "open311.attribute_required": {
        "zh": "缺少必填属性 attribute[{code}]",
        "en": "Required attribute attribute[{code}] was not provided",
    },
    "open311.not_kept": {
        "zh": "已受理；以下内容无法使用，未登记：{fields}",
        "en": "Accepted; these could not be used and were not kept: {fields}",
    },
    "open311.attribute_value": {
        "zh": "属性 {code} 没有取值 {value}",
        "en": "Attribute {code} has no value {value}",
    },
    "open311.attribute_one_value": {
        "zh": "属性 {code} 只能取一个值",
        "en": "Attribute {code} takes one value",
    },
    "open311.attribute_number": {
        "zh": "属性 {code} 应为数字",
        "en": "Attribute {code} must be a number",
    },
    "open311.too_many_ids": {
        "zh": "service_request_id 一次最多 {max} 个",
        "en": "At most {max} service_request_id values at once",
    },
    "open311.status": {
        "zh": "status 只能是 open 或 closed（不是 {value}）",
        "en": "status must be open or closed (not {value})",
    },
    "open311.date": {
        "zh": "{name} 须是带时区的 ISO 8601 时间，例如 2026-01-01T00:00:00+08:00",
        "en": "{name} must be an ISO 8601 datetime with an offset, e.g. 2026-01-01T00:00:00Z",
    },
    "open311.date_order": {
        "zh": "start_date 不能晚于 end_date",
        "en": "start_date must not be after end_date",
    },
    "open311.date_span": {
        "zh": "start_date 到 end_date 不能超过 {days} 天",
        "en": "start_date to end_date may not span more than {days} days",
    },
    "open311.request_not_found": {
        "zh": "服务请求 {id} 不存在",
        "en": "Service request {id} was not found",
    },
    "open311.not_found": {"zh": "没有这个 Open311 资源", "en": "No such Open311 resource"},
    "open311.client_exists": {
        "zh": "已有名为 {name} 的城市应用",
        "en": "A city app named {name} is already registered",
    },
    "open311.client_not_found": {
        "zh": "城市应用 {id} 不存在或已吊销",
        "en": "City app {id} does not exist or is already revoked",
    },
}

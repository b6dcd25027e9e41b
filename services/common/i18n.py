"""Language negotiation and the message catalogue shared by every service.

Keys are namespaced by dots:

- ``status.<code>`` is the generic title of an HTTP status, ``status.<code>.detail`` its
  generic detail, ``status.4xx`` / ``status.5xx`` the titles of statuses not listed;
- ``validation.<type>`` is the message for a Pydantic error type, formatted with that
  error's ``ctx`` (e.g. ``{min_length}``); ``validation.unknown`` covers types not listed;
- ``auth.*``, ``request.*`` and ``unavailable.*`` (a peer is away: 503) are platform
  codes; each service registers its own
  namespace (``intake.*``, ``dispatch.*``, ...) with :func:`register`.

Templates use ``str.format`` fields. Chinese (``zh``) is the reference language: every key
has it, and a missing English text falls back to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "zh"
# The value each language is announced with in Content-Language.
CONTENT_LANGUAGE: dict[Lang, str] = {"zh": "zh-CN", "en": "en"}

_INT = ("应为整数。", "Must be an integer.")
_NUMBER = ("应为数字。", "Must be a number.")
_BOOL = ("应为布尔值（true 或 false）。", "Must be true or false.")
_ONE_OF = ("取值必须是以下之一：{expected}。", "Must be one of: {expected}.")
_OBJECT = ("应为对象（JSON object）。", "Must be an object (JSON object).")
_DATETIME = (
    "应为 ISO 8601 日期时间，例如 2024-05-01T08:30:00+08:00。",
    "Must be an ISO 8601 date-time, e.g. 2024-05-01T08:30:00+08:00.",
)
_DATE = ("应为日期，例如 2024-05-01。", "Must be a date, e.g. 2024-05-01.")
_URL = ("应为有效的网址。", "Must be a valid URL.")
_AS_GIVEN = ("{error}", "{error}")

_SEED: dict[str, tuple[str, str]] = {
    "status.400": ("请求无效", "Bad Request"),
    "status.400.detail": ("请求无法处理，请检查后重试。", "The request could not be processed."),
    "status.401": ("未认证", "Unauthorized"),
    "status.401.detail": ("请先登录。", "Authentication is required."),
    "status.403": ("无权访问", "Forbidden"),
    "status.403.detail": ("您没有执行此操作的权限。", "You are not allowed to do this."),
    "status.404": ("未找到", "Not Found"),
    "status.404.detail": ("请求的资源不存在。", "The requested resource does not exist."),
    "status.405": ("不支持的请求方法", "Method Not Allowed"),
    "status.405.detail": ("该地址不支持此请求方法。", "This method is not allowed here."),
    "status.409": ("冲突", "Conflict"),
    "status.409.detail": (
        "请求与资源的当前状态冲突，请刷新后重试。",
        "The request conflicts with the current state of the resource; reload and retry.",
    ),
    "status.413": ("请求内容过大", "Content Too Large"),
    "status.413.detail": ("请求内容超过了允许的大小。", "The request body is too large."),
    "status.415": ("不支持的内容类型", "Unsupported Media Type"),
    "status.415.detail": (
        "不支持该内容类型，请使用 application/json。",
        "This content type is not supported; send application/json.",
    ),
    "status.422": ("输入有误", "Unprocessable Content"),
    "status.422.detail": ("提交的内容有误。", "The submitted content is invalid."),
    "status.429": ("请求过于频繁", "Too Many Requests"),
    "status.429.detail": ("请求过于频繁，请稍后再试。", "Too many requests; try again later."),
    "status.500": ("服务器内部错误", "Internal Server Error"),
    "status.500.detail": (
        "服务器处理请求时出错，请稍后重试。",
        "Something went wrong on our side; please try again later.",
    ),
    "status.503": ("服务暂不可用", "Service Unavailable"),
    "status.503.detail": (
        "服务暂时不可用，请稍后重试。",
        "The service is temporarily unavailable; please try again later.",
    ),
    "unavailable.database": (
        "数据库暂时无法连接，请 {seconds} 秒后重试。",
        "The database cannot be reached right now; try again in {seconds} seconds.",
    ),
    "unavailable.bus": (
        "消息总线暂时无法连接，请 {seconds} 秒后重试。",
        "The message bus cannot be reached right now; try again in {seconds} seconds.",
    ),
    "status.4xx": ("请求错误", "Client Error"),
    "status.5xx": ("服务器错误", "Server Error"),
    "auth.invalid_credentials": ("用户名或密码错误。", "Wrong username or password."),
    "auth.throttled": (
        "登录失败次数过多，请 {seconds} 秒后重试。",
        "Too many failed sign-ins; try again in {seconds} seconds.",
    ),
    "auth.missing_token": ("缺少访问令牌，请先登录。", "No access token was sent; sign in first."),
    "auth.invalid_token": (
        "访问令牌无效或已过期，请重新登录。",
        "The access token is invalid or has expired; sign in again.",
    ),
    "auth.forbidden_role": ("您的角色无权执行此操作。", "Your role does not allow this action."),
    "request.invalid_body": ("请求体不是有效的 JSON。", "The request body is not valid JSON."),
    "request.body_too_large": (
        "请求内容过大，最多 {limit}。",
        "The request body is too large; the limit is {limit}.",
    ),
    "request.validation_failed": (
        "有 {count} 处输入有误，请检查标出的字段。",
        "{count} input(s) are invalid; see the fields listed in errors.",
    ),
    "request.idempotency_key_invalid": (
        "Idempotency-Key 应为 8 到 128 个字符，只含字母、数字和 . _ ~ : + / = -。",
        "Idempotency-Key must be 8 to 128 characters of letters, digits and . _ ~ : + / = -.",
    ),
    "request.idempotency_key_reused": (
        "此 Idempotency-Key 已用于另一个不同的请求；新的操作请使用新的键。",
        "This Idempotency-Key was already used for a different request; use a new key "
        "for a new action.",
    ),
    "request.idempotency_in_flight": (
        "使用同一 Idempotency-Key 的请求仍在处理中，请稍后重试。",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
    ),
    "request.idempotency_answer_lost": (
        "使用此 Idempotency-Key 的请求已经生效，但其结果未能保存；请查看记录确认，不要重新提交。",
        "The request with this Idempotency-Key took effect, but its answer was not kept; "
        "check the records instead of submitting again.",
    ),
    "validation.missing": ("此项为必填项。", "This field is required."),
    "validation.string_too_short": (
        "至少需要 {min_length} 个字符。",
        "Must be at least {min_length} characters long.",
    ),
    "validation.string_too_long": (
        "最多 {max_length} 个字符。",
        "Must be at most {max_length} characters long.",
    ),
    "validation.too_short": (
        "至少需要 {min_length} 项，当前 {actual_length} 项。",
        "Must have at least {min_length} item(s), got {actual_length}.",
    ),
    "validation.too_long": (
        "最多 {max_length} 项，当前 {actual_length} 项。",
        "Must have at most {max_length} item(s), got {actual_length}.",
    ),
    "validation.string_type": ("应为文本。", "Must be a string."),
    "validation.int_type": _INT,
    "validation.int_parsing": _INT,
    "validation.int_from_float": ("应为整数，不能带小数。", "Must be a whole number."),
    "validation.float_type": _NUMBER,
    "validation.float_parsing": _NUMBER,
    "validation.decimal_parsing": _NUMBER,
    "validation.bool_type": _BOOL,
    "validation.bool_parsing": _BOOL,
    "validation.literal_error": _ONE_OF,
    "validation.enum": _ONE_OF,
    "validation.greater_than_equal": ("不能小于 {ge}。", "Must be greater than or equal to {ge}."),
    "validation.less_than_equal": ("不能大于 {le}。", "Must be less than or equal to {le}."),
    "validation.greater_than": ("必须大于 {gt}。", "Must be greater than {gt}."),
    "validation.less_than": ("必须小于 {lt}。", "Must be less than {lt}."),
    "validation.multiple_of": (
        "必须是 {multiple_of} 的整数倍。",
        "Must be a multiple of {multiple_of}.",
    ),
    "validation.string_pattern_mismatch": (
        "格式不正确（应匹配 {pattern}）。",
        "Has the wrong format (must match {pattern}).",
    ),
    "validation.json_invalid": ("不是有效的 JSON。", "Is not valid JSON."),
    "validation.model_type": _OBJECT,
    "validation.model_attributes_type": _OBJECT,
    "validation.dict_type": _OBJECT,
    "validation.list_type": ("应为列表（JSON array）。", "Must be a list (JSON array)."),
    "validation.extra_forbidden": ("不允许提交此字段。", "This field is not allowed."),
    "validation.datetime_type": _DATETIME,
    "validation.datetime_parsing": _DATETIME,
    "validation.datetime_from_date_parsing": _DATETIME,
    "validation.timezone_aware": (
        "日期时间必须带时区偏移，例如 +08:00。",
        "Must include a UTC offset, e.g. +08:00.",
    ),
    "validation.date_type": _DATE,
    "validation.date_parsing": _DATE,
    "validation.date_from_datetime_parsing": _DATE,
    "validation.uuid_parsing": ("应为有效的 UUID。", "Must be a valid UUID."),
    "validation.url_type": _URL,
    "validation.url_parsing": _URL,
    "validation.value_error": _AS_GIVEN,
    "validation.assertion_error": _AS_GIVEN,
    "validation.unknown": ("取值无效。", "Invalid value."),
    "scheduled.not_found": ("待生效的变更 {id} 不存在。", "Scheduled change {id} not found."),
    "scheduled.not_pending": (
        "变更 {id} 已生效或已取消，不能再取消。",
        "Change {id} has already taken effect or been cancelled.",
    ),
    "scheduled.unknown_kind": (
        "不认识的配置类型 {kind}。",
        "Unknown kind of configuration {kind}.",
    ),
    "scheduled.in_the_past": (
        "生效时间须晚于现在；立即生效请留空。",
        "The effective time must be in the future; leave it empty to apply now.",
    ),
}

MESSAGES: dict[str, dict[Lang, str]] = {
    key: {"zh": zh, "en": en} for key, (zh, en) in _SEED.items()
}


def register(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add a service's own keys to :data:`MESSAGES`.

    Every entry must have a ``zh`` text and only known languages. Registering the same
    text again is a no-op (modules may be imported twice); giving an existing key a
    different text raises ``ValueError``, because two services sharing a key would
    silently overwrite each other's wording. Nothing is added when anything is refused.
    """
    entries: dict[str, dict[Lang, str]] = {}
    for key, texts in messages.items():
        unknown = set(texts) - set(LANGS)
        if unknown or "zh" not in texts:
            raise ValueError(f"message {key!r} needs a zh text and only {LANGS} languages")
        entry: dict[Lang, str] = {lang: texts[lang] for lang in LANGS if lang in texts}
        if key in MESSAGES and MESSAGES[key] != entry:
            raise ValueError(f"message {key!r} is already registered with other text")
        entries[key] = entry
    MESSAGES.update(entries)


class _KeepMissing(dict[str, Any]):
    # A caller that forgot a parameter still gets readable text, with the gap visible.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, lang: Lang, **params: Any) -> str:
    """The text for ``key`` in ``lang``, formatted with ``params``.

    Falls back to the zh text, then to ``key`` itself. Never raises: a template that
    cannot be formatted is returned as written.
    """
    texts = MESSAGES.get(key)
    if texts is None:
        return key
    template = texts.get(lang) or texts.get(DEFAULT_LANG) or key
    try:
        return template.format_map(_KeepMissing(params))
    except (ValueError, IndexError, AttributeError, TypeError):
        return template


def negotiate(accept_language: str | None) -> Lang:
    """Pick ``zh`` or ``en`` for an ``Accept-Language`` header value (RFC 9110 §12.5.4).

    The supported language with the highest q-value wins; on a tie the one listed first.
    A range matches by its primary subtag (``en-US`` → en, ``zh-TW`` → zh); ``*`` means
    the default. Missing, malformed or unsupported headers give the default, ``zh``.
    """
    best: tuple[float, Lang] | None = None
    for part in (accept_language or "").split(","):
        parsed = _parse_range(part)
        if parsed is None:
            continue
        lang, q = parsed
        # Strictly greater: an earlier entry keeps a tie.
        if q > 0 and (best is None or q > best[0]):
            best = (q, lang)
    return best[1] if best else DEFAULT_LANG


def _parse_range(part: str) -> tuple[Lang, float] | None:
    """One ``range;q=x`` entry as (supported language, q), or None to skip it."""
    tag, *options = (piece.strip() for piece in part.split(";"))
    primary = tag.lower().split("-", 1)[0]
    lang: Lang | None = DEFAULT_LANG if primary == "*" else _as_lang(primary)
    if lang is None:
        return None
    q = 1.0
    for option in options:
        name, _, value = option.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return None
    return (lang, q) if 0.0 <= q <= 1.0 else None


def _as_lang(primary: str) -> Lang | None:
    for lang in LANGS:
        if primary == lang:
            return lang
    return None

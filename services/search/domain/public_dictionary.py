"""The public month's data dictionary: every published field, what it means (the three rates
as docs/three-rates.md defines them), its unit and how it is suppressed; and the CSV's
columns. Served as JSON and shown on the public page."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from services.search.domain.public import RANKINGS, RATES, VOLUMES, Rules

COUNT_RULE = {
    "zh": "少于 {k} 时不公布（显示为 <{k}）；同表中若只剩一个不公布或合计少于 {k}，"
    "另将最小的一格一并不公布，使合计减去其余各格也推算不出",
    "en": "Not shown below {k} (shown as <{k}); when that leaves a single cell of a table "
    "hidden, or hidden cells adding up to fewer than {k}, the smallest shown cell is hidden "
    "too, so the total minus the other cells recovers neither",
}
RATE_RULE = {
    "zh": "参评件少于 {k} 时与参评件一并不公布",
    "en": "Not shown when its ratings (rated) are fewer than {k}; hidden with them",
}
NONE_RULE = {"zh": "不适用", "en": "none"}

# name → (zh definition, en definition, unit, rule)
FIELDS: dict[str, tuple[str, str, str, Mapping[str, str]]] = {
    "month": ("统计月份（北京时间）", "The month, Beijing time (YYYY-MM)", "YYYY-MM", NONE_RULE),
    "section": (
        "CSV 中本行所属的表：received、channels、categories、districts、city、departments、"
        "streets、themes",
        "The table a CSV row belongs to: received, channels, categories, districts, city, "
        "departments, streets, themes",
        "text",
        NONE_RULE,
    ),
    "key": (
        "编码：渠道、一级分类、区、承办单位或街道的编码",
        "Code of the channel, top-level category, district, department or street",
        "text",
        NONE_RULE,
    ),
    "label": ("编码对应的名称", "The name of the code", "text", NONE_RULE),
    "count": (
        "当月受理的工单数（按受理时间，北京时间）：合计、按渠道、按一级分类、按区",
        "Tickets received in the month (by time received, Beijing time): in all, by channel, "
        "by top-level category, by district",
        "tickets",
        COUNT_RULE,
    ),
    "rated": (
        "参评件：当月市民作出的评价数（每一轮办理的评价各计一次），计入最后一次评价时的承办单位",
        "Ratings citizens gave in the month (each rated round once), counted for the "
        "department of the ticket's latest rating",
        "ratings",
        COUNT_RULE,
    ),
    "response_rate": (
        "响应率：市民回答“联系过”且承办单位在派单时规定的联系时限内登记了首次联系的评价数 ÷ 参评件",
        "Response rate: ratings where the citizen answered contacted: yes and the department "
        "recorded its first contact no later than the contact deadline set at dispatch, "
        "÷ ratings",
        "fraction of 1, 4 decimals",
        RATE_RULE,
    ),
    "resolution_rate": (
        "解决率：回答“已解决”的评价数 ÷ 参评件",
        "Resolution rate: ratings answered solved: yes ÷ ratings",
        "fraction of 1, 4 decimals",
        RATE_RULE,
    ),
    "satisfaction_rate": (
        "满意率：（满意 + 基本满意 × 基本满意权重）÷ 参评件",
        "Satisfaction rate: (satisfied + basically satisfied × its weight) ÷ ratings",
        "fraction of 1, 4 decimals",
        RATE_RULE,
    ),
    "score": (
        "综合得分：响应率、解决率、满意率按配置的权重加权之和",
        "Score: the weighted sum of the three rates, with the configured weights",
        "fraction of 1, 4 decimals",
        RATE_RULE,
    ),
    "rank": (
        "在公布的各行中按综合得分由高到低的名次（顺序与领导驾驶舱相同：得分相同名次相同，"
        "下一名次跳过）；不公布的行无名次，也不占名次",
        "Place among the published rows by score, highest first, in the leaders' dashboard's "
        "order (equal scores share a place, the next skips); a suppressed row has none and "
        "takes none",
        "place",
        RATE_RULE,
    ),
    "suppressed": (
        "该格（或该行）因数量过小不公布时为 true，其数值为空",
        "true when the cell (or row) is withheld as too small; its numbers are then empty",
        "true/false",
        NONE_RULE,
    ),
    "title": ("每月一题的题目", "A monthly theme's title", "text", NONE_RULE),
    "status": ("每月一题的状态", "A monthly theme's status", "text", NONE_RULE),
    "starts_on": ("每月一题的开始日期", "The day a monthly theme began", "date", NONE_RULE),
    "tasks": ("每月一题的任务数", "A monthly theme's tasks", "tasks", NONE_RULE),
    "done": ("其中已完成的任务数", "Its tasks done", "tasks", NONE_RULE),
    "overdue": ("其中已超期未完成的任务数", "Its tasks past due and not done", "tasks", NONE_RULE),
    "root": (
        "当月账本的封存根哈希（各日默克尔根之上），全部日期封存后填入；核验方法见 docs/ledger.md",
        "The month's sealed ledger root (over its days' Merkle roots), filled in once every "
        "day is sealed; how to check it: docs/ledger.md",
        "hex",
        NONE_RULE,
    ),
}
COLUMNS = ("month", "section", "key", "label", "count", "rank", "rated", *RATES, "suppressed")
THEME_COLUMNS = ("title", "status", "starts_on", "tasks", "done", "overdue")
CSV_COLUMNS = (*COLUMNS, *THEME_COLUMNS, "root")


def dictionary(rules: Rules) -> dict[str, Any]:
    """Every field with its definitions (zh, en), unit and suppression rule in force."""
    k = str(rules.min_count)
    return {
        "min_count": rules.min_count,
        "close_days": rules.close_days,
        "fields": [
            {
                "name": name,
                "zh": zh,
                "en": en,
                "unit": unit,
                "suppression": {lang: text.format(k=k) for lang, text in rule.items()},
            }
            for name, (zh, en, unit, rule) in FIELDS.items()
        ],
    }


def csv_rows(month: str, shown: Mapping[str, Any], root: str | None) -> Iterator[dict[str, Any]]:
    """One row per published cell or row, each naming its section; the month's root on
    the `received` row. Ready to write: flags as true/false, text safe in a spreadsheet."""
    rows = [{"month": month, "section": "received", **shown["received"], "root": root or ""}]
    for table in VOLUMES:
        rows += ({"month": month, "section": table, **row} for row in shown[table])
    rows.append({"month": month, "section": "city", **shown["city"]})
    for table in RANKINGS:
        rows += ({"month": month, "section": table, **row} for row in shown[table])
    rows += (
        {"month": month, "section": "themes", **theme, "label": theme["category_name"]}
        for theme in shown["themes"]
    )
    return (_cells(row) for row in rows)


# A spreadsheet reads a cell starting so as a formula: a theme's title or a unit's name is
# typed by staff, and the file is opened by anyone.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cells(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _cell(value) for key, value in row.items()}


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value

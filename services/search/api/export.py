"""A result set as CSV for a spreadsheet: UTF-8 with a byte-order mark (so Excel reads the
Chinese right), titles and values in the reader's language, times in Beijing time.

Cells that a spreadsheet would read as a formula (=, +, -, @ first) get a leading
apostrophe: descriptions are typed by citizens' words, not by us.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from services.common.i18n import Lang
from services.search.adapters.index import TIME_ZONE
from services.search.handlers.reads import is_overdue
from services.search.messages import EXPORT_COLUMNS, VALUES

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _time(value: Any) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).astimezone(TIME_ZONE).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(value)


def row(doc: dict[str, Any], lang: Lang, now: datetime) -> list[str]:
    names = VALUES[lang]

    def named(value: Any) -> str:
        return names.get(str(value).lower() if isinstance(value, bool) else str(value), "")

    values = [
        doc.get("number"),
        named(doc.get("status")),
        named(doc.get("request_type")),
        named(doc.get("urgency")),
        named(doc.get("channel")),
        "/".join(doc.get("category_path") or []),
        "/".join(doc.get("area_path") or []),
        doc.get("department_name"),
        _time(doc.get("created_at")),
        _time(doc.get("due_at")),
        named(is_overdue(doc, now)),
        doc.get("calls"),
        doc.get("description"),
    ]
    return [_cell(v) for v in values]


def csv_lines(docs: Iterable[dict[str, Any]], lang: Lang, now: datetime) -> Iterator[str]:
    """The file, a few lines at a time, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(EXPORT_COLUMNS[lang])
    for n, doc in enumerate(docs, 1):
        writer.writerow(row(doc, lang, now))
        if n % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()

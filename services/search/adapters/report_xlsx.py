"""The monthly report as an XLSX workbook (openpyxl): one sheet per section, headings in the
first row, counts as whole numbers, rates as numbers formatted in percent (the cell holds
the fraction, so a sum or a chart in the spreadsheet works on the figure itself)."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from services.search.domain.report import Kind, Report, Section, Value

FORMATS: dict[Kind, str] = {"count": "0", "rate": "0.00%", "number": "0.0", "text": "@"}
# Sheet titles: at most 31 characters, none of []:*?/\
_UNFIT = re.compile(r"[\[\]:*?/\\]")
_MAX_TITLE = 31
_WIDE = 40


def workbook(report: Report) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for section in report.sections:
        _sheet(book, section)
    book.properties.title = report.title()
    book.properties.creator = "Hotline"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_title(section: Section) -> str:
    return _UNFIT.sub(" ", section.title)[:_MAX_TITLE]


def _sheet(book: Workbook, section: Section) -> None:
    sheet = book.create_sheet(sheet_title(section))
    sheet.append([column.title for column in section.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for number, row in enumerate(section.rows):
        sheet.append(row)
        for index, cell in enumerate(sheet[sheet.max_row]):
            if isinstance(cell.value, str):
                # Text stays text: a name typed as "=…" must not become a formula.
                cell.data_type = "s"
            kind = section.kind(number, index)
            if kind != "text":
                cell.number_format = FORMATS[kind]
    for index, column in enumerate(section.columns, start=1):
        longest = max([len(str(column.title)) * 2, *(_width(r[index - 1]) for r in section.rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(_WIDE, longest + 2)


def _width(value: Value) -> int:
    shown = str(value) if value is not None else ""
    # A Chinese character takes about two columns' width.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in shown)

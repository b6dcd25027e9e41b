"""The monthly report as a PDF (reportlab): a table per section, the month and the time
the figures were taken on every page. Chinese is set in `STSong-Light`, one of the CID
fonts every PDF reader carries (Adobe's Asian font packs): reportlab embeds only its name,
so nothing is downloaded or read from disk at run time and the file stays small."""

from __future__ import annotations

import io
from functools import cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table
from reportlab.platypus import TableStyle as Style

from services.search.domain.report import Kind, Report, Section, Value, text

FONT = "STSong-Light"
PAGE = landscape(A4)
MARGIN = 15 * mm
_HEADER = colors.HexColor("#e8eef7")


@cache
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def document(report: Report) -> bytes:
    font = _font()
    styles = _styles(font)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 6 * mm,
        bottomMargin=MARGIN,
        title=report.title(),
        author="Hotline",
    )
    story: list[Any] = [Paragraph(report.title(), styles["title"])]
    for section in report.sections:
        heading = Paragraph(section.title, styles["heading"])
        table = _table(section, styles, text(report.lang, "none"))
        story += [KeepTogether([heading, table]), Spacer(1, 5 * mm)]

    def stamp(canvas: Any, page: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawString(MARGIN, PAGE[1] - MARGIN, report.stamp())
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN / 2, str(page.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=stamp, onLaterPages=stamp)
    return out.getvalue()


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=8),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=12, leading=16, spaceAfter=4),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=9, leading=11, wordWrap="CJK"),
        "number": ParagraphStyle(
            "number", fontName=font, fontSize=9, leading=11, alignment=TA_RIGHT
        ),
    }


def _table(section: Section, styles: dict[str, ParagraphStyle], none: str) -> Table:
    head = [_cell(c.title, c.kind, styles) for c in section.columns]
    body = [
        [_cell(value, section.kind(n, i), styles) for i, value in enumerate(row)]
        for n, row in enumerate(section.rows)
    ]
    # Text (names) gets twice a number's width.
    shares = [2 if column.kind == "text" else 1 for column in section.columns]
    unit = (PAGE[0] - 2 * MARGIN) / sum(shares)
    rows = body or [[_cell(none, "text", styles), *([""] * (len(head) - 1))]]
    table = Table([head, *rows], colWidths=[unit * s for s in shares], repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), _HEADER),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if not body:
        style.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(Style(style))
    return table


def _cell(value: Value, kind: Kind, styles: dict[str, ParagraphStyle]) -> Paragraph:
    return Paragraph(shown(value, kind), styles["cell" if kind == "text" else "number"])


def shown(value: Value, kind: Kind) -> str:
    """A value as printed: rates in percent with two decimals, a missing one as a dash."""
    if value is None:
        return "–"
    if kind == "rate" and isinstance(value, int | float):
        return f"{value * 100:.2f}%"
    if kind == "number" and isinstance(value, int | float):
        return f"{value:.1f}"
    return _escaped(str(value))


def _escaped(text: str) -> str:
    # Paragraph reads a small markup language: a citizen-typed "<" must stay a character.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

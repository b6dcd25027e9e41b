"""The monthly ranking for leaders: JSON, CSV, and the ratings behind it as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from fractions import Fraction
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from services.common.auth import Role, require_roles
from services.common.i18n import Lang, negotiate
from services.common.problems import field_problem
from services.feedback.adapters.ratings import EXPORT_COLUMNS
from services.feedback.domain.months import Month
from services.feedback.domain.ranking import Standing
from services.feedback.domain.rates import Rates, percent
from services.feedback.handlers import ranking
from services.feedback.handlers.context import FeedbackContext
from services.feedback.handlers.ranking import MonthRanking

Leaders = [Depends(require_roles(Role.leader, Role.dispatcher))]
LangParam = Annotated[Literal["zh", "en"] | None, Query(description="CSV headings' language")]
MonthParam = Annotated[str, Path(description="YYYY-MM, a month that has begun (Beijing time)")]
# Ratings carry times since the epoch; a month before it has none and no month before it.
EARLIEST = Month(1970, 1)


class RateValues(BaseModel):
    """Percent (or, for changes, percentage points), rounded half up to 2 places."""

    response: float
    resolution: float
    satisfaction: float
    score: float


class RankingRowRead(BaseModel):
    rank: int
    rank_change: int | None
    department_code: str
    department_name: str
    rated: int
    responded: int
    solved: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    rates: RateValues
    changes: RateValues | None
    excluded_tickets: int = Field(
        default=0, description="Tickets of the month upheld appeals took out of these rates"
    )


class TotalRead(BaseModel):
    """Every department's ratings of the month together."""

    rated: int
    responded: int
    solved: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    rates: RateValues


class ExcludedRead(BaseModel):
    """What upheld appeals (申诉) took out of one department's rates this month."""

    department_code: str
    department_name: str
    tickets: int
    ratings: int


class WeightsRead(BaseModel):
    basically_satisfied: float
    response: float
    resolution: float
    satisfaction: float


class RankingRead(BaseModel):
    month: str
    previous_month: str
    current_month: str
    weights: WeightsRead
    total: TotalRead | None
    rows: list[RankingRowRead]
    excluded: list[ExcludedRead] = Field(
        default_factory=list, description="Per department, what upheld appeals excluded"
    )


def router(fb: FeedbackContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1/rankings", tags=["rankings"], dependencies=Leaders)

    @api.get("")
    def current() -> RankingRead:
        """This month's ranking so far (Beijing time)."""
        return _read(fb, ranking.month_ranking(fb, Month.of(fb.clock())))

    # The CSV routes come first: `{month}` alone would also match "2024-05.csv".
    @api.get("/{month}.csv", response_class=Response)
    def as_csv(month: MonthParam, request: Request, lang: LangParam = None) -> Response:
        table = ranking.month_ranking(fb, _assessed(fb, month))
        language = lang or negotiate(request.headers.get("accept-language"))
        body = _csv([HEADINGS[language], *_csv_rows(table)])
        return _download(body, f"rankings-{table.month}.csv")

    @api.get("/{month}/ratings.csv", response_class=StreamingResponse)
    def ratings_csv(month: MonthParam) -> StreamingResponse:
        """The month's ratings, without comments or names: what the ranking is computed from."""
        rows = ranking.month_ratings(fb, _assessed(fb, month))
        name = f"ratings-{month}.csv"
        return StreamingResponse(
            _stream([EXPORT_COLUMNS], rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @api.get("/{month}")
    def for_month(month: MonthParam) -> RankingRead:
        """Departments by score for a month that has begun, with the change since the
        month before. 422 for a malformed or future month, or one before 1970."""
        return _read(fb, ranking.month_ranking(fb, _assessed(fb, month)))

    return api


def _assessed(fb: FeedbackContext, text: str) -> Month:
    month = ranking.assessed_month(fb, text)
    if month < EARLIEST:
        raise field_problem("month", "feedback.month_too_early", earliest=str(EARLIEST))
    return month


def _read(fb: FeedbackContext, table: MonthRanking) -> RankingRead:
    w = table.weights
    return RankingRead(
        month=str(table.month),
        previous_month=str(table.month.previous()),
        current_month=str(Month.of(fb.clock())),
        weights=WeightsRead(
            basically_satisfied=float(w.basically_satisfied),
            response=float(w.response),
            resolution=float(w.resolution),
            satisfaction=float(w.satisfaction),
        ),
        total=_total(table),
        rows=[_row(table, s) for s in table.rows],
        excluded=[
            ExcludedRead(
                department_code=code, department_name=table.name(code), tickets=n, ratings=r
            )
            for code, (n, r) in sorted(table.excluded.items())
        ],
    )


def _total(table: MonthRanking) -> TotalRead | None:
    if table.total is None:
        return None
    t, rates = table.total
    return TotalRead(
        rated=t.rated,
        responded=t.responded,
        solved=t.solved,
        satisfied=t.satisfied,
        basically_satisfied=t.basically_satisfied,
        dissatisfied=t.dissatisfied,
        rates=_percents(rates),
    )


def _percents(rates: Rates) -> RateValues:
    return RateValues(**{n: float(percent(rates.get(n))) for n in _NAMES})


def _row(table: MonthRanking, s: Standing) -> RankingRowRead:
    t = s.tally
    changes = None
    if s.previous is not None:
        changes = RateValues(**{n: float(percent(s.change(n) or Fraction(0))) for n in _NAMES})
    return RankingRowRead(
        rank=s.rank,
        rank_change=s.rank_change,
        department_code=t.department_code,
        department_name=table.name(t.department_code),
        rated=t.rated,
        responded=t.responded,
        solved=t.solved,
        satisfied=t.satisfied,
        basically_satisfied=t.basically_satisfied,
        dissatisfied=t.dissatisfied,
        rates=_percents(s.rates),
        changes=changes,
        excluded_tickets=table.excluded.get(t.department_code, (0, 0))[0],
    )


_NAMES = ("response", "resolution", "satisfaction", "score")

HEADINGS: dict[Lang, list[str]] = {
    "zh": [
        "排名", "名次变化", "单位编码", "单位名称", "参评件数", "响应件数", "解决件数",
        "满意件数", "基本满意件数", "不满意件数", "响应率(%)", "解决率(%)", "满意率(%)",
        "综合得分", "响应率环比(百分点)", "解决率环比(百分点)", "满意率环比(百分点)",
        "综合得分环比",
    ],
    "en": [
        "rank", "rank_change", "department_code", "department_name", "rated", "responded",
        "solved", "satisfied", "basically_satisfied", "dissatisfied", "response_rate_pct",
        "resolution_rate_pct", "satisfaction_rate_pct", "score", "response_rate_change_pp",
        "resolution_rate_change_pp", "satisfaction_rate_change_pp", "score_change",
    ],
}  # fmt: skip


def _csv_rows(table: MonthRanking) -> Iterator[list[object]]:
    for s in table.rows:
        t = s.tally
        rates = [percent(s.rates.get(n)) for n in _NAMES]
        changes = [_blank(s.change(n)) for n in _NAMES]
        yield [
            s.rank, _blank(s.rank_change), t.department_code, table.name(t.department_code),
            t.rated, t.responded, t.solved, t.satisfied, t.basically_satisfied, t.dissatisfied,
            *rates, *changes,
        ]  # fmt: skip


def _blank(value: object) -> object:
    if value is None:
        return ""
    return percent(value) if isinstance(value, Fraction) else value


def _cell(value: object) -> object:
    """Booleans as true/false and times as ISO 8601, as in the JSON API."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else value


def _csv(rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _download(body: str, name: str) -> Response:
    # The byte-order mark makes spreadsheet programs read the Chinese as UTF-8.
    return Response(
        "\ufeff" + body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _stream(head: Iterable[Sequence[object]], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    yield "\ufeff" + _csv(head)
    chunk: list[Sequence[object]] = []
    for row in rows:
        chunk.append([_cell(value) for value in row])
        if len(chunk) == 2000:
            yield _csv(chunk)
            chunk = []
    yield _csv(chunk)

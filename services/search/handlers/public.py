"""The month in public: a closed month's figures, computed once by the leaders' dashboard's
own function (`monthly.figures`), frozen at the first request after the month closes, shown
with small counts suppressed and with the month's sealed root once there is one."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime
from functools import partial
from typing import Any

from proto.rates import Weights
from services.common.errors import Invalid, NotFound
from services.search.adapters.index import TIME_ZONE
from services.search.adapters.public import PublishedMonths
from services.search.domain import months as calendar
from services.search.domain import public
from services.search.domain.public_dictionary import dictionary
from services.search.handlers import ledger, monthly
from services.search.handlers.context import SearchContext
from services.search.handlers.themes import ThemeBook

Roots = Callable[[str], str | None]


class PublicMonths:
    def __init__(
        self,
        reader: SearchContext,
        themes: ThemeBook | None,
        weights: Weights,
        store: PublishedMonths,
        rules: public.Rules,
        roots: Roots,
    ) -> None:
        self.reader, self.themes, self.weights = reader, themes, weights
        self.store, self.rules, self.roots = store, rules, roots

    def listing(self, now: datetime) -> dict[str, Any]:
        """The published months, newest first; the latest closed month is published first
        if it has figures and nobody asked for it yet."""
        latest = self.rules.latest_closed(now, TIME_ZONE)
        with suppress(NotFound):  # nothing to publish for it
            self._published(latest, now)
        months = [
            {
                "month": row["month"],
                "published_at": row["published_at"].isoformat(),
                "root": row["root"],
            }
            for row in self.store.listed()
        ]
        return {"latest_closed": calendar.name(latest), "months": months}

    def month(self, text: str, now: datetime) -> dict[str, Any]:
        """The month `text` names as published. Invalid (422) when malformed or before 1970;
        NotFound (404) when it has not closed yet or had no ticket and no rating."""
        try:
            chosen = calendar.parse(text, now.astimezone(TIME_ZONE).date())
        except ValueError:  # "0000-01" has the month's form but no such year exists
            earliest = calendar.name(calendar.EARLIEST)
            raise Invalid("search.month_too_early", field="month", earliest=earliest) from None
        row = self._published(chosen, now)
        return {
            "month": row["month"],
            "published_at": row["published_at"].isoformat(),
            "root": row["root"],
            "min_count": self.rules.min_count,
            **public.suppress(row["figures"], self.rules.min_count),
        }

    def dictionary(self) -> dict[str, Any]:
        return dictionary(self.rules)

    def _published(self, month: date, now: datetime) -> dict[str, Any]:
        name = calendar.name(month)
        closes = self.rules.closes_at(month, TIME_ZONE)
        if now < closes:
            raise NotFound("search.public.not_closed", month=name, on=closes.date().isoformat())
        row = self.store.get(name)
        if row is None:
            board = monthly.figures(self.reader, self.themes, self.weights, month, now)
            selected = public.select(board)
            if public.is_empty(selected):
                raise NotFound("search.public.empty", month=name)
            self.store.add(name, selected, now)
            row = self.store.get(name)
            assert row is not None  # written just now, by this request or another instance
        if row["root"] is None:
            root = self.roots(name)
            if root is not None:
                self.store.seal(name, root)
                row = row | {"root": root}
        return row


def ledger_roots(ledgers: ledger.Ledgers) -> Roots:
    """The month's sealed root from the ledger; None while a day of it is not sealed."""
    return partial(ledger.month_root, ledgers)

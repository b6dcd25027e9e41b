"""The terminal face of `hotline ledger export`, `hotline ledger seal` and `hotline verify`,
on the configured search database."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO

from rich.console import Console
from sqlalchemy.orm import sessionmaker

from services.common.db import make_engine
from services.common.migrations import upgrade
from services.common.settings import Settings
from services.search.adapters.ledger import ledgers
from services.search.domain.ledger import Checked, month_days
from services.search.handlers import ledger


@contextmanager
def _ledgers(settings: Settings) -> Iterator[ledger.Ledgers]:
    url = settings.database_url_for("search")
    upgrade("search", url)
    engine = make_engine(url)
    try:
        yield ledgers(sessionmaker(engine))
    finally:
        engine.dispose()


def scope(day: str | None, month: str | None, ticket: str | None) -> ledger.Scope:
    """The export's scope from the options; ValueError names what is wrong."""
    if sum(x is not None for x in (day, month, ticket)) > 1:
        raise ValueError("give at most one of --day, --month and --ticket")
    try:
        chosen = date.fromisoformat(day) if day is not None else None
    except ValueError:
        raise ValueError(f"--day {day!r} is not a day like 2026-11-30") from None
    if month is not None:
        try:
            month_days(month)
        except ValueError:
            raise ValueError(f"--month {month!r} is not a month like 2026-11") from None
    return ledger.Scope(day=chosen, month=month, ticket=ticket)


def export(settings: Settings, chosen: ledger.Scope, out: Path | None) -> int:
    with _ledgers(settings) as opened:
        if out is None:
            return ledger.export(opened, chosen, sys.stdout)
        with out.open("w", encoding="utf-8", newline="\n") as stream:
            return ledger.export(opened, chosen, stream)


def seal(settings: Settings, console: Console) -> int:
    """Seals every closed day not sealed yet (what search's worker does every minute)."""
    with _ledgers(settings) as opened:
        done = ledger.Sealer(opened).step()
    console.print(f"sealed {done} day(s)")
    return done


def verify_file(path: Path) -> Checked:
    with path.open("rb") as stream:
        return ledger.verify_file(stream)


def verify_ticket(settings: Settings, ticket_id: str) -> Checked:
    with _ledgers(settings) as opened:
        return ledger.verify_ticket(opened, ticket_id)


def report(checked: Checked, console: Console, err: IO[str]) -> bool:
    """Prints what was checked (and each correction); the first mismatch to `err`."""
    for sequence, event_id, corrects in checked.corrections:
        line = f"correction: entry {sequence} (event {event_id}) corrects {corrects}"
        console.print(line, soft_wrap=True)
    if checked.mismatch is not None:
        print(f"MISMATCH {checked.mismatch}", file=err)
        return False
    partial = ""
    if checked.partial_days:
        days = ", ".join(str(d) for d in checked.partial_days)
        partial = f"; not all entries of {days} are here, so their roots were not recomputed"
    if checked.unsealed:
        partial += f"; {checked.unsealed:,} entries are of days not sealed yet"
    console.print(
        f"verified {checked.entries:,} entries in {checked.chains:,} chains, "
        f"{checked.days} sealed day(s) match their roots, "
        f"{len(checked.corrections)} correction(s){partial}",
        soft_wrap=True,
    )
    return True

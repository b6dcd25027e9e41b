"""The terminal face of `hotline rebuild-search` (a progress bar with done of total, rate
and time left, then a summary) and of `hotline search-generations`."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from services.common.settings import Settings
from services.search.tools.rebuild import RebuildFailed, Report, prune, rebuild


class RateColumn(ProgressColumn):
    """Events per second, averaged by rich over the last moments."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("–" if speed is None else f"{speed:,.0f} events/s", style="cyan")


def run(settings: Settings, console: Console, *, allow_shrink: bool = False) -> Report | None:
    """Rebuilds with a progress bar; None (and the reason printed) when it gave up."""
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]replaying topics"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("replay", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = rebuild(settings, advance, allow_shrink=allow_shrink)
        except RebuildFailed as failure:
            bar.stop()
            console.print(f"[red]Rebuild stopped:[/red] {failure}")
            return None
        bar.update(task, total=report.events, completed=report.events)
    console.print(
        f"[green]Rebuilt[/green] {report.tickets:,} tickets from {report.events:,} events "
        f"({report.skipped:,} skipped) in {report.seconds:.1f} s, "
        f"{report.rate:,.0f} events/s; now searching [bold]{report.generation}[/bold] "
        f"(was {report.previous or 'none'}, {report.live_tickets:,} tickets, kept until "
        f"`hotline search-generations --keep 1`); "
        f"{report.caught_up_after} events caught up after the swap; "
        f"{report.audit_entries:,} entries the audit log lacked added to it."
    )
    return report


def generations(settings: Settings, console: Console, keep: int | None) -> None:
    """Lists the index generations, after deleting all but the newest `keep` if given."""
    deleted, kept, live = prune(settings, keep)
    for name in deleted:
        console.print(f"deleted {name}")
    for name in kept:
        console.print(f"{name}  [green]live[/green]" if name == live else name)

"""The terminal face of `hotline rebuild-search`: a progress bar with the rate, then a summary."""

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
)
from rich.text import Text

from services.common.settings import Settings
from services.search.rebuild import Report, rebuild


class RateColumn(ProgressColumn):
    """Events per second, averaged by rich over the last moments."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("–" if speed is None else f"{speed:,.0f} events/s", style="cyan")


def run(settings: Settings, console: Console) -> Report:
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]replaying topics"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("replay", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        report = rebuild(settings, advance)
        bar.update(task, total=report.events, completed=report.events)
    console.print(
        f"[green]Rebuilt[/green] {report.tickets:,} tickets from {report.events:,} events "
        f"({report.skipped:,} skipped) in {report.seconds:.1f} s, "
        f"{report.rate:,.0f} events/s; now searching [bold]{report.generation}[/bold]; "
        f"{report.caught_up_after} events caught up after the swap."
    )
    return report

"""The `c360 simulate` command's work: parse, run with a progress bar, print a summary."""

from __future__ import annotations

from datetime import date

import psycopg
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from c360.config import Settings
from c360.local.simulator.runner import STEPS_PER_DAY, Request, Summary, Target, simulate
from c360.local.simulator.state import StateError


class SimulationError(RuntimeError):
    """The simulation cannot run as asked; the message says why."""


def target_of(settings: Settings) -> Target:
    """The landing zone and finance database of the settings; truth and state beside the zone."""
    return Target(landing_dir=settings.landing_dir, truth_dir=settings.truth_dir,
                  state_dir=settings.landing_dir.parent / "simulation",
                  finance_dsn=settings.finance_dsn)


def parse_start(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise SimulationError(f"--start must be a date YYYY-MM-DD, got {text!r}") from exc


def summary_table(summary: Summary) -> Table:
    table = Table(title=f"simulated {summary.first_day} … {summary.last_day}")
    table.add_column("output")
    table.add_column("rows", justify="right")
    for key, value in summary.rows.items():
        table.add_row(key, f"{value:,}")
    table.add_row("persons", f"{summary.persons:,}")
    table.add_row("households (2+ persons)", f"{summary.households:,}")
    table.add_row("noise profile", summary.noise)
    table.add_row("seconds", f"{summary.seconds:.1f}")
    return table


def run_simulate(settings: Settings, console: Console, *, days: int, people: int | None,
                 start: str | None, seed: int | None, reset: bool, noise: str | None = None
                 ) -> Summary:
    request = Request(days=days, people=people, start=parse_start(start), seed=seed, reset=reset,
                      noise=noise)
    columns = (TextColumn("{task.description:<28}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("starting", total=days * STEPS_PER_DAY + 1)

        def step(description: str) -> None:
            bar.update(task, description=description, advance=1)

        try:
            summary = simulate(request, target_of(settings), step)
        except (StateError, ValueError, psycopg.OperationalError) as exc:
            raise SimulationError(str(exc)) from exc
    console.print(summary_table(summary))
    return summary

"""After `c360 run` and `c360 demo`: the summary on the terminal and the run report on disk."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from c360.config import Settings
from c360.local.report.facts import DagRunRow, collect
from c360.local.report.page import write_report
from c360.local.report.terminal import print_summary, print_where_next
from c360.local.runner import DagRunResult


def reports_dir(settings: Settings) -> Path:
    return settings.home / "reports"


def finish_run(settings: Settings, console: Console, results: Sequence[DagRunResult]) -> Path:
    """Print the summary, write the run report, say where to look next; returns the report's path."""
    runs = [DagRunRow(r.business_date, r.dag_id, r.summary, r.seconds) for r in results]
    with console.status("reading the run's figures from the warehouse"):
        facts = collect(settings.warehouse_dsn, settings.truth_dir / "identities.csv", runs)
    print_summary(facts, console)
    report = write_report(facts, reports_dir(settings))
    print_where_next(settings, console, report)
    return report

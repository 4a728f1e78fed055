"""After `c360 run` and `c360 demo`: the summary on the terminal and the run report on disk."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from rich.console import Console

from c360.config import Settings
from c360.local.report.facts import DagRunRow, collect
from c360.local.report.page import RunContext, write_report
from c360.local.report.terminal import print_summary, print_where_next
from c360.local.runner import DagRunResult

AIRFLOW_RUNS_URL = "http://127.0.0.1:8080/dags"  # `c360 ui`'s default address


def reports_dir(settings: Settings) -> Path:
    return settings.home / "reports"


def code_version(settings: Settings) -> str:
    """`git describe` of the checkout, or the installed package's version outside a checkout."""
    try:
        result = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"],
                                cwd=settings.project_dir, capture_output=True, text=True, timeout=10)
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass  # no git here: the package's version says enough
    try:
        return f"c360 {version('c360')}"
    except PackageNotFoundError:
        return "unknown"


def run_context(settings: Settings) -> RunContext:
    from c360.local.report.docs import dbt_docs_index
    from c360.quality.context import data_docs_index, shared_docs_url

    docs = data_docs_index(settings)
    return RunContext(
        command=" ".join(["c360", *sys.argv[1:]]),
        version=code_version(settings),
        links=(("run logs", str(settings.home / "logs" / "run")),
               ("Airflow runs (after `c360 ui`)", AIRFLOW_RUNS_URL),
               ("GX data docs", shared_docs_url(settings, docs.as_uri())),
               ("dbt docs (after `c360 docs`)", str(dbt_docs_index(settings)))),
    )


def finish_run(settings: Settings, console: Console, results: Sequence[DagRunResult]) -> Path:
    """Print the summary, write the run report, say where to look next; returns the report's path."""
    runs = [DagRunRow(r.business_date, r.dag_id, r.summary, r.seconds) for r in results]
    with console.status("reading the run's figures from the warehouse"):
        facts = collect(settings.warehouse_dsn, settings.truth_dir / "identities.csv", runs)
    print_summary(facts, console)
    report = write_report(facts, reports_dir(settings), run_context(settings), settings.reports_kept)
    print_where_next(settings, console, report)
    return report

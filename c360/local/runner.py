"""`c360 run`: the nightly DAGs for a range of business dates, in order, through the real Airflow.

For each business date, oldest first, every DAG of c360.orchestration.pipeline.NIGHTLY_DAGS
runs in the declared order with the logical date of that date's nightly run
(c360.orchestration.dates.run_logical_date). The runs are Airflow's own `DAG.test()` (what
`airflow dags test` calls): DAG runs and task instances in the metadata
database, retries, sensor reschedules and failure callbacks, no scheduler
needed. They run in one Airflow process (c360.local.dag_runs) to pay
Airflow's start-up once, not once per DAG.

A failed DAG run does not stop the range: the other DAGs of the date and the
later dates still run, as they would under the scheduler (the silos are
independent, and loads are idempotent per date), unless `fail_fast` is set.
`c360 run` exits non-zero when any DAG run failed. A file silo whose delivery
missed its deadline is not a failure: its owner was alerted and its run
succeeds with the load skipped (`success (no delivery)`); the quality gate's
freshness check decides whether the night may publish without it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from c360.config import Settings
from c360.local.airflow_env import airflow_environment, ensure_metadata
from c360.local.lifecycle import start_everything
from c360.local.processes import stop, terminate_raises
from c360.orchestration.dates import date_range
from c360.orchestration.pipeline import NIGHTLY_DAGS
from c360.orchestration.run_lock import HELD_BY_RUN, warehouse_run_lock

SUCCESS = "success"
FAILED = "failed"
NOT_RUN = "not run"


@dataclass
class DagRunResult:
    business_date: date
    dag_id: str
    state: str  # the DAG run's final state in Airflow
    seconds: float
    log_path: Path
    task_states: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state == SUCCESS

    @property
    def summary(self) -> str:
        """The state, with what an operator wants to know next: a missed delivery, failed tasks."""
        if self.ok and self.task_states.get("load") == "skipped":
            return "success (no delivery)"
        failed = sorted(t for t, s in self.task_states.items() if s == FAILED)
        blocked = sum(1 for s in self.task_states.values() if s == "upstream_failed")
        text = self.state
        if failed:
            text += ": " + ", ".join(failed[:3])
            text += f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        if blocked:
            text += f" ({blocked} downstream not run)"
        return text


class Reporter:
    """Hooks for showing progress; the CLI implements them with rich."""

    def ready(self) -> None:
        """Airflow has parsed the DAGs; runs start now."""

    def starting(self, business_date: date, dag_id: str) -> None:
        """A DAG run starts."""

    def finished(self, result: DagRunResult) -> None:
        """A DAG run ended."""


def select_dags(chosen: Sequence[str] | None) -> tuple[str, ...]:
    """The nightly DAGs to run, in the declared order: all of them, or those `chosen`."""
    if not chosen:
        return NIGHTLY_DAGS
    unknown = sorted(set(chosen) - set(NIGHTLY_DAGS))
    if unknown:
        raise ValueError(f"not a nightly DAG: {', '.join(unknown)}; "
                         f"the nightly DAGs are {', '.join(NIGHTLY_DAGS)}")
    return tuple(d for d in NIGHTLY_DAGS if d in chosen)


def run_log_dir(settings: Settings) -> Path:
    """A fresh folder under .c360/logs/run/ for this invocation's logs."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = settings.home / "logs" / "run" / stamp
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_range(
    settings: Settings,
    start: date,
    end: date,
    dag_ids: Sequence[str] = NIGHTLY_DAGS,
    reporter: Reporter | None = None,
    fail_fast: bool = False,
    prepare: Callable[[Settings], object] = start_everything,
    executor: str | None = None,
) -> list[DagRunResult]:
    """Run `dag_ids` in order for every business date from `start` to `end`; one result per run.

    Runs that never started (after `fail_fast` stopped, or when Airflow itself
    died) are returned as `not run`, so the caller sees the whole range. Raises
    WarehouseBusy, having run nothing, when another run holds the warehouse.
    """
    dates = date_range(start, end)
    reporter = reporter or Reporter()
    prepare(settings)  # PostgreSQL up (embedded), warehouse schemas in place
    done: dict[tuple[date, str], DagRunResult] = {}
    log_dir = run_log_dir(settings)
    worker_log = log_dir / "airflow.log"
    with warehouse_run_lock(settings.warehouse_dsn, f"{start}..{end}, pid {os.getpid()}"):
        env = {**airflow_environment(settings), HELD_BY_RUN: "1"}  # its tasks run under this lock
        ensure_metadata(env)
        # in one process through DAG.test(), or under a real scheduler with `executor`
        worker = ["c360.local.scheduled_runs", "--executor", executor] if executor else [
            "c360.local.dag_runs"]
        command = [
            sys.executable, "-m", *worker,
            "--dates", ",".join(d.isoformat() for d in dates),
            "--dags", ",".join(dag_ids),
            "--log-dir", str(log_dir),
            *(["--fail-fast"] if fail_fast else []),
        ]
        # progress on a pipe of its own: a warning a library prints cannot break it
        read_end, write_end = os.pipe()
        with worker_log.open("w") as output, terminate_raises():
            worker = subprocess.Popen(
                [*command, "--events-fd", str(write_end)], env=env, cwd=settings.project_dir,
                stdout=output, stderr=output, pass_fds=(write_end,),
            )
            os.close(write_end)
            try:
                for line in os.fdopen(read_end, encoding="utf-8"):
                    event = json.loads(line)
                    if event["event"] == "ready":
                        reporter.ready()
                    elif event["event"] == "start":
                        reporter.starting(date.fromisoformat(event["business_date"]), event["dag_id"])
                    elif event["event"] == "done":
                        result = DagRunResult(
                            date.fromisoformat(event["business_date"]), event["dag_id"],
                            event["state"], event["seconds"], Path(event["log"]), event["tasks"],
                        )
                        done[(result.business_date, result.dag_id)] = result
                        reporter.finished(result)
                worker.wait()
            finally:  # leaving early (Ctrl-C, SIGTERM, an error): no orphaned Airflow runs
                stop(worker)
    return [
        done.get((day, dag_id)) or DagRunResult(day, dag_id, NOT_RUN, 0.0, worker_log)
        for day in dates
        for dag_id in dag_ids
    ]


def all_succeeded(results: Sequence[DagRunResult]) -> bool:
    return all(r.ok for r in results)


class RichReporter(Reporter):
    """Progress of `c360 run` on the terminal: a spinner while Airflow starts, a bar over DAG runs."""

    def __init__(self, console, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

        self.console = console
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            console=console,
        )
        self.bar = self.progress.add_task("starting Airflow", total=total)

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def ready(self) -> None:
        self.progress.update(self.bar, description="DAGs parsed")

    def starting(self, business_date: date, dag_id: str) -> None:
        self.progress.update(self.bar, description=f"{business_date} {dag_id}")

    def finished(self, result: DagRunResult) -> None:
        self.progress.advance(self.bar)
        if not result.ok:
            self.console.print(
                f"[red]{result.business_date} {result.dag_id}: {result.summary}[/] "
                f"- log: {result.log_path}"
            )


def results_table(results: Sequence[DagRunResult]):
    """One row per business date and DAG: its state and how long it took."""
    from rich.table import Table

    table = Table(title="c360 run")
    for column in ("business date", "DAG", "state", "seconds"):
        table.add_column(column)
    for r in results:
        colour = "green" if r.ok else "red"
        table.add_row(
            r.business_date.isoformat(), r.dag_id, f"[{colour}]{r.summary}[/]",
            f"{r.seconds:.1f}",
        )
    return table

"""`c360 demo`: the whole nightly pipeline on the embedded default, from nothing.

Starts the warehouse, simulates the silos (only the days not simulated yet),
runs the real Airflow DAGs night by night, and ends with what a data engineer
wants to see first: what was loaded and refused, alerts, golden customers and
match quality against the simulator's truth, and where to look next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import psycopg
from rich.console import Console
from rich.table import Table

from c360.config import Settings
from c360.evaluate import EvaluationError, evaluate
from c360.lifecycle import start_everything
from c360.pipeline import NIGHTLY_DAGS
from c360.runner import RichReporter, all_succeeded, results_table, run_range
from c360.simulator.cli import run_simulate, target_of
from c360.simulator.state import SimulationState, StateStore


@dataclass(frozen=True)
class DemoPlan:
    people: int = 2_000
    days: int = 2
    start: date = date(2026, 11, 2)
    seed: int = 360

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)


def existing_simulation(settings: Settings) -> SimulationState | None:
    store = StateStore(target_of(settings).state_dir)
    return SimulationState.from_json(store.state_file.read_text()) if store.exists() else None


def simulate_missing_days(settings: Settings, console: Console, plan: DemoPlan) -> None:
    state = existing_simulation(settings)
    if state is None:
        run_simulate(settings, console, days=plan.days, people=plan.people,
                     start=plan.start.isoformat(), seed=plan.seed, reset=False)
        return
    if state.start != plan.start:
        raise DemoError(
            f"the landing zone holds a simulation from {state.start}, not {plan.start}: "
            "run `c360 simulate --reset ...` or use another C360_HOME"
        )
    missing = plan.days - state.days_written
    if missing > 0:
        run_simulate(settings, console, days=missing, people=None, start=None, seed=None, reset=False)
    else:
        console.print(f"the simulation already holds {state.days_written} day(s): nothing to write")


class DemoError(RuntimeError):
    """The demo cannot run as asked; the message says why."""


def _table(title: str, headers: list[str], rows: list[tuple]) -> Table:
    table = Table(title=title)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    return table


def _relation_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0]


def loads_table(conn: psycopg.Connection) -> Table:
    rows = conn.execute(
        """select source_system, count(*)::int, sum(rows_read)::bigint, sum(rows_loaded)::bigint,
                  sum(rows_quarantined)::bigint, count(*) filter (where status = 'quarantined')::int
           from ops.load_ledger group by 1 order by 1"""
    ).fetchall()
    return _table("rows per silo (ops.load_ledger)",
                  ["silo", "files/extracts", "read", "loaded", "quarantined", "files refused"], rows)


def alerts_table(conn: psycopg.Connection) -> Table:
    rows = conn.execute(
        "select owner, source_system, rule, count(*)::int from ops.alerts group by 1, 2, 3 order by 2, 3"
    ).fetchall()
    return _table("alerts sent (ops.alerts)", ["owner", "silo", "rule", "alerts"], rows)


def golden_table(conn: psycopg.Connection) -> Table | None:
    if not _relation_exists(conn, "marts.customer_xref"):
        return None
    rows = conn.execute(
        """with sizes as (select customer_id, count(*) as records from marts.customer_xref group by 1)
           select records::text, count(*)::int from sizes group by records order by records"""
    ).fetchall()
    return _table("golden customers by source records merged", ["records", "customers"], rows)


def summarize(settings: Settings, console: Console) -> None:
    with psycopg.connect(settings.warehouse_dsn) as conn:
        console.print(loads_table(conn))
        console.print(alerts_table(conn))
        golden = golden_table(conn)
    if golden is not None:
        console.print(golden)
    truth = settings.truth_dir / "identities.csv"
    try:
        result = evaluate(settings.warehouse_dsn, truth, sample_size=0)
    except (EvaluationError, FileNotFoundError) as exc:
        console.print(f"match quality: not evaluated ({exc})")
        return
    console.print(_table("match quality against the simulator's truth", ["measure", "value"], [
        ("pairwise precision", f"{result.precision:.4f}"),
        ("pairwise recall", f"{result.recall:.4f}"),
        ("F1", f"{result.f1:.4f}"),
        ("golden customers", result.customers),
        ("largest cluster", result.largest_cluster),
    ]))


def where_next(settings: Settings, console: Console) -> None:
    console.print(
        "\n[bold]Where to look next[/]\n"
        f"  run logs            {settings.home / 'logs' / 'run'}\n"
        "  Airflow             `.venv/bin/c360 airflow dags list` (same metadata as this run)\n"
        "  dbt                 `.venv/bin/c360 dbt docs generate` → dbt_project/target/index.html\n"
        f"  match quality       `.venv/bin/c360 evaluate --truth {settings.truth_dir / 'identities.csv'}`\n"
        "  warehouse           `.venv/bin/c360 status` (connection details), tables in ops, raw_*, marts\n"
    )


def run_demo(settings: Settings, console: Console, plan: DemoPlan) -> bool:
    """The demo; True when every DAG run succeeded."""
    console.rule("[bold]1/4 warehouse")
    for line in start_everything(settings):
        console.print(line)
    console.rule(f"[bold]2/4 silos: {plan.people:,} simulated persons, {plan.days} day(s)")
    simulate_missing_days(settings, console, plan)
    console.rule(f"[bold]3/4 nightly DAGs through Airflow, {plan.start} … {plan.end}")
    with RichReporter(console, plan.days * len(NIGHTLY_DAGS)) as reporter:
        results = run_range(settings, plan.start, plan.end, reporter=reporter, prepare=lambda s: None)
    console.print(results_table(results))
    console.rule("[bold]4/4 summary")
    summarize(settings, console)
    where_next(settings, console)
    return all_succeeded(results)

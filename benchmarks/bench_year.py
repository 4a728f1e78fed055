"""A year of nights: simulate, load every date, build the last night, gate it, evaluate it.

Starts a throwaway embedded PostgreSQL (no fsync), simulates PEOPLE persons for
DAYS business days, loads every date with the real loaders (as
bench_identity.py does), then builds the last night as the build DAG does:
the privacy suppression pass, `c360 dbt build` of the whole project (seeds,
models, snapshots and data tests; unit tests run in CI, not nightly), the
privacy requests, and the quality gate for the last date (`run_gate`, what
`c360 gate --date D` runs; no owner is alerted). Finally it evaluates
marts.customer_xref against the simulator's truth.

It prints records per customer (median, p99, max), every expectation of the
gate with its result and observed value, precision, recall and F1, and the
seconds of simulating, loading, the build and the gate. A year is what shows
whether the gate's checks hold for customers with many records (every call and
every web cookie is one). It prints figures; it is not a test. Run it with (or
`make bench-year`):

    .venv/bin/python benchmarks/bench_year.py --people 500 --days 365
    .venv/bin/python benchmarks/bench_year.py --people 500 --days 30   # to compare
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table
from throwaway import C360, START, load_day, throwaway_warehouse

from c360.config import load_settings
from c360.local.evaluation.pairs import evaluate
from c360.local.simulator.config import NOISE_PROFILES
from c360.local.simulator.runner import Request, Target, simulate
from c360.privacy import apply_privacy_requests, enforce_suppressions
from c360.quality.gate import run_gate
from c360.quality.results import GateResult
from c360.quality.suites.golden import CLUSTER_MEASURES_SQL
from c360.quality.thresholds import CLUSTER_MEASURES, load_thresholds
from c360.warehouse.bootstrap import bootstrap

# The build DAG's dbt build: every model, seed and snapshot, then the data tests.
BUILD = ["build", "--exclude", "test_type:unit", "--threads", "4"]

RECORDS_PER_CUSTOMER = """
with sizes as (select customer_id, count(*) as records from marts.customer_xref group by 1)
select count(*), percentile_disc(0.5) within group (order by records),
       percentile_disc(0.99) within group (order by records), max(records)
from sizes
"""


def build(env: dict[str, str], target_path: Path, day: date) -> tuple[float, dict[str, int], list[str]]:
    """`c360 dbt build` of `day`: its seconds, results by status, and the nodes that did not succeed."""
    started = time.perf_counter()
    result = subprocess.run([C360, "dbt", *BUILD, "--vars", f"{{business_date: {day}}}"],
                            env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    results_file = target_path / "run_results.json"
    if not results_file.is_file():
        raise RuntimeError(result.stdout[-4000:] + result.stderr[-2000:])
    statuses: dict[str, int] = {}
    failed = []
    for node in json.loads(results_file.read_text())["results"]:
        statuses[node["status"]] = statuses.get(node["status"], 0) + 1
        if node["status"] not in ("success", "pass", "no-op"):  # exposures are no-ops
            failed.append(f"{node['unique_id']}: {node['status']} ({(node.get('message') or '')[:120]})")
    return seconds, statuses, failed


def records_per_customer(warehouse_dsn: str) -> tuple[int, int, int, int]:
    with psycopg.connect(warehouse_dsn) as conn:
        return conn.execute(RECORDS_PER_CUSTOMER).fetchone()


def cluster_table(warehouse_dsn: str) -> Table:
    """The runaway-merge measures the gate bounds: customers above each bound, and the largest value."""
    bounds = load_thresholds().cluster_bounds
    above = ", ".join(f"count(*) filter (where {m} > {bounds[m].max}), max({m})" for m in CLUSTER_MEASURES)
    with psycopg.connect(warehouse_dsn) as conn:
        row = conn.execute(f"select count(*), {above} from ({CLUSTER_MEASURES_SQL}) as m").fetchone()
    table = Table(title=f"what one person cannot have, over {row[0]:,} customers")
    for column in ("measure", "bound", "customers above", "allowed share", "largest"):
        table.add_column(column, justify="right")
    for i, measure in enumerate(CLUSTER_MEASURES):
        table.add_row(measure, str(bounds[measure].max), str(row[1 + 2 * i]),
                      f"{bounds[measure].max_share:.1%}", str(row[2 + 2 * i]))
    return table


def gate_table(result: GateResult) -> Table:
    table = Table(title=f"quality gate {result.business_date}: "
                        f"{'passed' if result.success else 'FAILED'}")
    for column in ("owner", "validation", "expectation", "result", "failing / checked", "observed"):
        table.add_column(column)
    for o in sorted(result.outcomes, key=lambda o: (o.success, o.owner, o.validation)):
        failing = "" if o.unexpected_count is None else f"{o.unexpected_count} / {o.rows_checked}"
        verdict = "pass" if o.success else "FAIL" if o.blocking else "warn"
        observed = o.error.splitlines()[0][:80] if o.error else (
            "" if o.observed_value is None else str(o.observed_value)[:60])
        table.add_row(o.owner, o.validation, o.rule.split(".", 1)[1], verdict, failing, observed)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--days", type=int, default=365, help="business dates to simulate and load")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise", choices=NOISE_PROFILES, default="default",
                        help="the simulator's noise profile ('real': the slips real registers make)")
    parser.add_argument("--keep", action="store_true",
                        help="leave the warehouse running afterwards, to look into it")
    args = parser.parse_args()
    console = Console()
    with throwaway_warehouse("c360-bench-year-", keep=args.keep) as cluster:
        warehouse_dsn, finance_dsn, landing = cluster.warehouse_dsn, cluster.finance_dsn, cluster.landing
        root, target_path = cluster.root, cluster.target_path
        bootstrap(warehouse_dsn)
        target = Target(landing, root / "truth", root / "simulation", finance_dsn)
        # the suppression list's key, for a warehouse that lives as long as the bench
        os.environ.update(cluster.env, C360_PRIVACY_KEY=secrets.token_hex(32))
        env = {**os.environ}  # load_settings() below reads it too, for the privacy steps and the gate
        seconds: dict[str, float] = {}
        last = START + timedelta(days=args.days - 1)

        started = time.perf_counter()
        with console.status(f"simulating {args.people:,} persons x {args.days} days"):
            simulate(Request(days=args.days, people=args.people, start=START, seed=args.seed,
                             noise=args.noise), target)
        seconds["simulate"] = time.perf_counter() - started

        started = time.perf_counter()
        with console.status("loading") as status:
            for i in range(args.days):
                day = START + timedelta(days=i)
                status.update(f"loading {day} ({i + 1} of {args.days}, "
                              f"{time.perf_counter() - started:.0f} s)")
                load_day(warehouse_dsn, finance_dsn, landing, day)
        seconds["load"] = time.perf_counter() - started
        console.print(f"simulated in {seconds['simulate']:.0f} s, loaded {args.days} dates in "
                      f"{seconds['load']:.0f} s ({seconds['load'] / args.days:.1f} s a date)")

        settings = load_settings()
        with console.status(f"building {last}: privacy suppression, dbt build, privacy requests"):
            started = time.perf_counter()
            enforce_suppressions(settings, last)
            seconds["privacy suppression"] = time.perf_counter() - started
            seconds["dbt build"], statuses, failed = build(env, target_path, last)
            started = time.perf_counter()
            apply_privacy_requests(settings, last)
            seconds["privacy requests"] = time.perf_counter() - started
        console.print("dbt build: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
        for node in failed:
            console.print(f"  [red]{node}[/]")

        customers, median, p99, largest = records_per_customer(warehouse_dsn)
        started = time.perf_counter()
        with console.status(f"quality gate for {last}"):
            result = run_gate(settings, last, alert=False, run_by="bench-year")
        seconds["gate"] = time.perf_counter() - started
        console.print(gate_table(result))
        console.print(cluster_table(warehouse_dsn))

        started = time.perf_counter()
        scores = evaluate(warehouse_dsn, root / "truth" / "identities.csv", sample_size=0)
        seconds["evaluate"] = time.perf_counter() - started

        table = Table(title=f"a year of nights: {args.people:,} persons x {args.days} days "
                            f"({args.noise} noise), last night {last}")
        table.add_column("figure")
        table.add_column("value", justify="right")
        table.add_row("customers", f"{customers:,}")
        table.add_row("records per customer: median / p99 / max", f"{median} / {p99} / {largest}")
        table.add_row("quality gate", "passed" if result.success else
                      f"FAILED ({sum(o.blocking for o in result.failures)} blocking)")
        table.add_row("precision / recall / F1",
                      f"{scores.precision:.4f} / {scores.recall:.4f} / {scores.f1:.4f}")
        table.add_row("customers merging several persons", f"{scores.customers_merging_several_persons:,}")
        table.add_row("persons split over several customers",
                      f"{scores.persons_split_over_several_customers:,}")
        for stage, s in seconds.items():
            table.add_row(f"seconds: {stage}", f"{s:.1f}")
        console.print(table)


if __name__ == "__main__":
    main()

"""Identity resolution benchmark: a full resolution and one incremental night.

Starts a throwaway embedded PostgreSQL (no fsync), simulates PEOPLE persons for
DAYS business days, loads every day with the real loaders, and times
`c360 dbt build` of the resolution (staging to marts.customer_xref, without
tests) from scratch. Then it simulates and loads one more day and times the
same build again: that night keys and pairs only the new or changed records,
compares only their pairs, and recomputes only the components they touch. It
prints records, candidate pairs per record, how many pairs each run made and
compared, how many records' components it recomputed, the seconds in total and
per stage; and, when asked, evaluates the result against the simulator's truth.
It prints figures; it is not a test. Run it with (or `make bench-identity`):

    .venv/bin/python benchmarks/bench_identity.py --people 100000 --days 7
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table
from throwaway import C360, RESOLUTION, START, load_day, throwaway_warehouse

from c360.local.evaluation.pairs import evaluate
from c360.local.simulator.runner import Request, Target, simulate
from c360.warehouse.bootstrap import bootstrap

# The resolution's stages, by the models that make them up (the rest is seeds and hooks).
STAGES = {
    "staging + records": ("stg_", "int_identity__web_visitors", "int_identity__records",
                          "int_identity__record_keys"),
    "blocking + pairing": ("int_identity__blocking_keys", "int_identity__candidate_pairs"),
    "evidence + scores": ("int_identity__pair_evidence", "int_identity__shared_keys",
                          "int_identity__pair_scores", "int_identity__links"),
    "closure + clusters": ("int_identity__components", "int_identity__checked_components",
                           "int_identity__clusters"),
    "identity map + xref": ("customer_identity_map", "customer_xref"),
}


@dataclass
class Night:
    seconds: float
    paired: int  # pairs made for new or changed records
    compared: int  # pairs whose evidence was computed
    closed: int  # records whose components were recomputed
    stages: dict[str, float]


def _rows(results: list[dict], model: str) -> int:
    return next(r["adapter_response"].get("rows_affected", 0) for r in results
                if r["unique_id"].endswith("." + model))


def resolve(env: dict[str, str], target_path: Path, day: date) -> Night:
    """The resolution build of `day`: its seconds, in total and per stage, and how much it worked on."""
    started = time.perf_counter()
    result = subprocess.run([C360, "dbt", *RESOLUTION, "--vars", f"{{business_date: {day}}}"],
                            env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-4000:])
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    stages = {stage: sum(r["execution_time"] for r in results
                         if r["unique_id"].split(".")[-1].startswith(models))
              for stage, models in STAGES.items()}
    return Night(seconds, _rows(results, "int_identity__candidate_pairs"),
                 _rows(results, "int_identity__pair_evidence"),
                 _rows(results, "int_identity__components"), stages)


def counts(warehouse_dsn: str) -> tuple[int, int]:
    with psycopg.connect(warehouse_dsn) as conn:
        records = conn.execute("select count(*) from intermediate.int_identity__records").fetchone()
        pairs = conn.execute("select count(*) from intermediate.int_identity__candidate_pairs").fetchone()
    return records[0], pairs[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=7, help="days before the incremental night")
    parser.add_argument("--evaluate", action="store_true", help="also evaluate against the truth")
    args = parser.parse_args()
    console = Console()
    with throwaway_warehouse("c360-bench-identity-") as cluster:
        warehouse_dsn, finance_dsn, landing = cluster.warehouse_dsn, cluster.finance_dsn, cluster.landing
        bootstrap(warehouse_dsn)
        target = Target(landing, cluster.root / "truth", cluster.root / "simulation", finance_dsn)
        target_path = cluster.target_path
        env = {**os.environ, **cluster.env}
        rows = []

        with console.status(f"simulating {args.people:,} persons x {args.days} days"):
            simulate(Request(days=args.days, people=args.people, start=START, seed=1), target)
        with console.status("loading"):
            for i in range(args.days):
                load_day(warehouse_dsn, finance_dsn, landing, START + timedelta(days=i))
        with console.status("full resolution"):
            night = resolve(env, target_path, START + timedelta(days=args.days - 1))
        rows.append((f"full: {args.days} days", *counts(warehouse_dsn), night))

        day = START + timedelta(days=args.days)
        with console.status(f"simulating and loading {day}"):
            simulate(Request(days=1), target)
            load_day(warehouse_dsn, finance_dsn, landing, day)
        with console.status("incremental night"):
            night = resolve(env, target_path, day)
        rows.append((f"incremental: {day}", *counts(warehouse_dsn), night))

        table = Table(title=f"identity resolution, {args.people:,} persons")
        for column in ("run", "records", "candidate pairs", "pairs per record", "pairs made",
                       "pairs compared", "records closed", "seconds", *STAGES):
            table.add_column(column, justify="right")
        for run, records, pairs, night in rows:
            table.add_row(run, f"{records:,}", f"{pairs:,}", f"{pairs / records:.2f}",
                          f"{night.paired:,}", f"{night.compared:,}", f"{night.closed:,}",
                          f"{night.seconds:.1f}", *(f"{s:.1f}" for s in night.stages.values()))
        console.print(table)
        if args.evaluate:
            result = evaluate(warehouse_dsn, cluster.root / "truth" / "identities.csv")
            console.print(f"precision {result.precision:.4f}  recall {result.recall:.4f}  "
                          f"F1 {result.f1:.4f}  largest cluster {result.largest_cluster}")


if __name__ == "__main__":
    main()

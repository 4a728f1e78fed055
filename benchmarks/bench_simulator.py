"""Simulator benchmark: seconds for 10,000 persons x 30 days and for a large population x 1 day.

Starts a throwaway embedded PostgreSQL without fsync for the billing database
(or uses C360_FINANCE_DSN when set), writes into a temporary landing zone, and
prints the seconds each run took with the rows it wrote. It prints figures; it
is not a test. Run it with:

    .venv/bin/python benchmarks/bench_simulator.py --large 1000000
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from c360.local.postgres import EmbeddedPostgres, free_port
from c360.local.simulator.runner import Request, Target, simulate

START = date(2026, 11, 2)


@contextmanager
def finance_server(root: Path) -> Iterator[EmbeddedPostgres | None]:
    if os.environ.get("C360_FINANCE_DSN"):
        yield None
        return
    server = EmbeddedPostgres(root=root / "pg", port=free_port(), durable=False)
    server.up(databases=())
    try:
        yield server
    finally:
        server.stop()


def run(root: Path, server: EmbeddedPostgres | None, name: str, people: int, days: int
        ) -> tuple[str, float, dict[str, int]]:
    if server is None:
        dsn = os.environ["C360_FINANCE_DSN"]
        reset = True
    else:
        server.create_database(name)
        dsn, reset = server.dsn(name), False
    target = Target(root / name / "landing", root / name / "truth", root / name / "simulation",
                    dsn)
    summary = simulate(Request(days=days, people=people, start=START, seed=1, reset=reset), target)
    return f"{people:,} persons x {days} days", summary.seconds, summary.rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=1_000_000, help="persons of the 1-day run")
    parser.add_argument("--days", type=int, default=30, help="days of the 10,000-person run")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="c360-bench-sim-"))
    root.chmod(0o755)  # the postgres user must reach the cluster below it
    console = Console()
    try:
        with finance_server(root) as server:
            results = [run(root, server, "medium", 10_000, args.days),
                       run(root, server, "large", args.large, 1)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    table = Table(title="c360 simulate")
    table.add_column("run")
    table.add_column("seconds", justify="right")
    table.add_column("web events", justify="right")
    table.add_column("finance rows", justify="right")
    table.add_column("truth rows", justify="right")
    for label, seconds, rows in results:
        finance = sum(v for k, v in rows.items() if k.startswith("finance"))
        table.add_row(label, f"{seconds:.1f}", f"{rows['web events']:,}", f"{finance:,}",
                      f"{rows['truth identities']:,}")
    console.print(table)


if __name__ == "__main__":
    main()

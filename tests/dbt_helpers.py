"""Helpers for the dbt tests: run `c360 dbt` on a test warehouse, and fill its raw layer
from a simulation through the real loaders (no Airflow, so a test stays short)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from c360.ingest import finance, web
from c360.ingest.contract_files import file_silo
from c360.local.simulator.config import SimulationConfig
from c360.local.simulator.runner import Request, Target, simulate

contact_center = file_silo("contact_center")
privacy = file_silo("privacy")
store = file_silo("store")

C360 = str(Path(sys.executable).with_name("c360"))
# Every dbt test in the checkout's project: models and snapshot without the tests.
MODELS_ONLY = ("--exclude", "test_type:unit", "test_type:data")


def dbt_env(dsn: str, home: Path) -> dict[str, str]:
    """c360 pointed at `dsn`, with dbt's target and logs in `home`: a dbt run elsewhere
    in the checkout (another test, another engineer) cannot interfere."""
    return {**os.environ, "C360_WAREHOUSE_DSN": dsn, "C360_HOME": str(home),
            "DBT_TARGET_PATH": str(home / "dbt-target"), "DBT_LOG_PATH": str(home / "dbt-logs")}


def dbt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`c360 dbt <args>`, whatever its outcome."""
    return subprocess.run([C360, "dbt", *args], env=env, capture_output=True, text=True, timeout=600)


def run_dbt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`c360 dbt <args>`; fails the test with dbt's output when dbt fails."""
    result = dbt(env, *args)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return result


def as_of(business_date: date | str) -> tuple[str, str]:
    """dbt's --vars for a night: the business date the project requires (macro business_date)."""
    return ("--vars", f"{{business_date: {business_date}}}")


def dbt_build(env: dict[str, str], business_date: date | str, *options: str
              ) -> subprocess.CompletedProcess[str]:
    """`c360 dbt build` of the night `business_date`, as the build DAG runs it."""
    return run_dbt(env, "build", *options, *as_of(business_date))


def simulate_and_load(
    warehouse_dsn: str, finance_dsn: str, root: Path, *, people: int, days: int, start: date,
    seed: int, config: SimulationConfig | None = None,
) -> list[date]:
    """Simulate `days` business days from `start` under `root`, and load each into the raw
    layer with the silos' loaders, in the nightly order; returns the business dates."""
    target = Target(landing_dir=root / "landing", truth_dir=root / "truth",
                    state_dir=root / "simulation", finance_dsn=finance_dsn)
    simulate(Request(days=days, people=people, start=start, seed=seed, config=config), target)
    dates = [start + timedelta(days=i) for i in range(days)]
    for day in dates:
        finance.extract_business_date(finance_dsn, warehouse_dsn, day)
        for silo in (contact_center, web, store, privacy):
            silo.load_business_date(warehouse_dsn, target.landing_dir, day)
    return dates


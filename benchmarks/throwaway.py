"""What the identity benchmarks share: a throwaway embedded PostgreSQL (no fsync) with the
`warehouse` and `finance` databases, c360's variables pointed at it, and a day's load."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from c360.ingest import finance, web
from c360.ingest.contract_files import file_silo
from c360.local.postgres import EmbeddedPostgres, free_port

contact_center = file_silo("contact_center")
privacy = file_silo("privacy")
store = file_silo("store")

# The first business date the benchmarks simulate.
START = date(2026, 10, 1)
C360 = str(Path(sys.executable).with_name("c360"))
# Identity resolution alone: staging to marts.customer_xref, without tests.
RESOLUTION = ["build", "--select", "+customer_xref", "--exclude", "test_type:unit", "test_type:data"]


@dataclass(frozen=True)
class Throwaway:
    root: Path
    server: EmbeddedPostgres
    warehouse_dsn: str
    finance_dsn: str
    landing: Path
    target_path: Path  # where `c360 dbt` writes run_results.json
    env: dict[str, str]  # c360's and dbt's variables pointing at this cluster and folder


@contextmanager
def throwaway_warehouse(prefix: str, keep: bool = False) -> Iterator[Throwaway]:
    """The cluster in a new temporary folder; stopped and removed afterwards unless `keep`."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)  # the postgres user must reach it
    server = EmbeddedPostgres(root=root / "pg", port=free_port(), durable=False)
    server.up(databases=("warehouse", "finance"))
    warehouse_dsn, finance_dsn = server.dsn("warehouse"), server.dsn("finance")
    landing, target_path = root / "landing", root / "dbt-target"
    env = {"C360_WAREHOUSE_DSN": warehouse_dsn, "C360_FINANCE_DSN": finance_dsn,
           "C360_HOME": str(root / "home"), "C360_LANDING_DIR": str(landing),
           "DBT_TARGET_PATH": str(target_path), "DBT_LOG_PATH": str(root / "dbt-logs")}
    try:
        yield Throwaway(root, server, warehouse_dsn, finance_dsn, landing, target_path, env)
    finally:
        if keep:
            print(f"kept: {warehouse_dsn} (stop it with `EmbeddedPostgres(root={root / 'pg'}, "
                  f"port={server.port}).stop()` and remove {root})")
        else:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)


def load_day(warehouse_dsn: str, finance_dsn: str, landing: Path, day: date) -> None:
    """One business date through every silo's real loader, in the nightly order."""
    finance.extract_business_date(finance_dsn, warehouse_dsn, day)
    for silo in (contact_center, web, store, privacy):
        silo.load_business_date(warehouse_dsn, landing, day)

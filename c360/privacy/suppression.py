"""The nightly suppression pass: persons erased earlier stay erased.

Runs after ingest and before dbt. A later delivery (a late web event, a contact
in which the person gives their e-mail again), a re-delivered or re-loaded file,
or a finance re-extract after a watermark reset can bring an erased person's
rows back into raw; this pass erases them again, as the erasure did, before
anything is built from them. It looks at rows loaded since the previous pass
began, less a day of overlap (a load that was still committing then), so its
cost follows the night's volume, not the history's; the first pass looks at
everything. Re-running it changes nothing more.
"""

from __future__ import annotations

from datetime import date, timedelta

import psycopg

from c360.config import Settings
from c360.privacy.erasure import Counts, log_counts
from c360.privacy.keys import privacy_key
from c360.privacy.person import create_hashes_table
from c360.privacy.relations import HASHES_TABLE, erase_raw
from c360.warehouse.bootstrap import bootstrap

OVERLAP = timedelta(days=1)


def enforce_suppressions(settings: Settings, business_date: date, warehouse_dsn: str | None = None) -> Counts:
    """Erase rows of suppressed persons that arrived since the last pass; returns rows changed.

    `warehouse_dsn` overrides the settings' (inside Airflow: the `c360_warehouse` connection)."""
    dsn = warehouse_dsn or settings.warehouse_dsn
    bootstrap(dsn)
    key = privacy_key(settings)
    with psycopg.connect(dsn) as conn:
        started = conn.execute("select now()").fetchone()[0]
        previous = conn.execute("select max(started_at) from ops.privacy_suppression_runs").fetchone()[0]
        create_hashes_table(conn)
        conn.execute(f"insert into {HASHES_TABLE} select identifier_hash, identifier_type "
                     "from ops.privacy_suppressions")
        counts: Counts = {}
        if conn.execute(f"select exists (select 1 from {HASHES_TABLE})").fetchone()[0]:
            since = previous - OVERLAP if previous else None
            counts = erase_raw(conn, {"privacy_key": key, "since": since}, since=since is not None)
            log_counts(conn, None, business_date, counts)
        conn.execute(
            "insert into ops.privacy_suppression_runs (business_date, started_at) values (%s, %s)",
            (business_date, started),
        )
    return {k: n for k, n in counts.items() if n > 0}

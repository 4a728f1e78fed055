"""One `c360 run` per warehouse at a time.

Two runs over the same nights on one warehouse interleave their loads, builds
and publications and fail each other. A run holds a session-level advisory
lock on the warehouse for its whole length; a second run finds it taken and
stops before it starts anything, naming the run that holds it. PostgreSQL
releases the lock when the holding connection ends, so a run that is killed
does not leave the warehouse locked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

LOCK_NAME = "c360 nightly run"
APPLICATION = "c360 run"


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse; the message says which."""


@contextmanager
def warehouse_run_lock(dsn: str, who: str) -> Iterator[None]:
    """Hold the warehouse's run lock while the block runs; `who` names this run to others."""
    with psycopg.connect(dsn, autocommit=True, application_name=f"{APPLICATION}: {who}"[:63]) as conn:
        taken = conn.execute("select pg_try_advisory_lock(hashtext(%s))", (LOCK_NAME,)).fetchone()[0]
        if not taken:
            raise WarehouseBusy(f"another run holds warehouse {conn.info.dbname} on {conn.info.host}: "
                                f"{holder(conn)}. Wait until it ends; nothing was run")
        yield


def holder(conn: psycopg.Connection) -> str:
    """Who holds the run lock, as pg_stat_activity knows them."""
    row = conn.execute(
        """select a.application_name, a.backend_start
           from pg_locks as l join pg_stat_activity as a using (pid)
           where l.locktype = 'advisory' and l.granted and l.pid <> pg_backend_pid()
             and l.objid = (hashtext(%s)::bigint & 4294967295)::oid
           limit 1""",
        (LOCK_NAME,),
    ).fetchone()
    if row is None:
        return "a run that has just ended"
    name, since = row
    return f"{name or 'an unnamed session'}, connected since {since:%Y-%m-%d %H:%M:%S %Z}"

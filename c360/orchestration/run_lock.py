"""One `c360 run` per warehouse at a time, and never beside a scheduler's tasks.

Two runs over the same nights on one warehouse interleave their loads, builds
and publications and fail each other. A run holds a session-level advisory
lock on the warehouse for its whole length; a second run finds it taken and
stops before it starts anything, naming the run that holds it. PostgreSQL
releases the lock when the holding connection ends, so a run that is killed
does not leave the warehouse locked.

Under a scheduler, every task first takes the same lock shared (the DAGs'
`on_execute_callback`), and holds it until its process ends: tasks share the
warehouse with each other as Airflow schedules them, a `c360 run` finds it in
use and stops, and a task that starts while a `c360 run` holds the warehouse
waits for it to end. The tasks of a `c360 run` itself run under its lock.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

LOCK_NAME = "c360 nightly run"
APPLICATION = "c360 run"
TASK_APPLICATION = "c360 task"
# Set in the environment of a `c360 run`'s own tasks: their run holds the lock already.
HELD_BY_RUN = "C360_RUN_HOLDS_WAREHOUSE"
LOCK_KEY_SQL = "hashtext(%s)"

log = logging.getLogger(__name__)
_task_connection: psycopg.Connection | None = None  # this task process's shared hold


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse; the message says which."""


@contextmanager
def warehouse_run_lock(dsn: str, who: str) -> Iterator[None]:
    """Hold the warehouse's run lock while the block runs; `who` names this run to others."""
    with psycopg.connect(dsn, autocommit=True, application_name=f"{APPLICATION}: {who}"[:63]) as conn:
        taken = conn.execute(f"select pg_try_advisory_lock({LOCK_KEY_SQL})", (LOCK_NAME,)).fetchone()[0]
        if not taken:
            raise WarehouseBusy(f"warehouse {conn.info.dbname} on {conn.info.host} is in use by "
                                f"{holder(conn)}. Wait until it ends; nothing was run")
        yield


def share_warehouse(dsn: str, who: str) -> psycopg.Connection:
    """Take the run lock shared, waiting while a `c360 run` holds it; the lock lasts as long as
    the connection returned. `who` names the task to a run that finds the warehouse in use."""
    conn = psycopg.connect(dsn, autocommit=True, application_name=f"{TASK_APPLICATION}: {who}"[:63])
    if not conn.execute(f"select pg_try_advisory_lock_shared({LOCK_KEY_SQL})", (LOCK_NAME,)).fetchone()[0]:
        log.warning("waiting for the warehouse: %s holds it", holder(conn))
        conn.execute(f"select pg_advisory_lock_shared({LOCK_KEY_SQL})", (LOCK_NAME,))
    return conn


def wait_for_warehouse(context: dict[str, Any]) -> None:
    """`on_execute_callback` of every c360 task (see the module's doc)."""
    global _task_connection
    if os.environ.get(HELD_BY_RUN) or _task_connection is not None:
        return
    from c360.orchestration.connections import WAREHOUSE_CONN_ID, connection_dsn

    ti = context["ti"]
    _task_connection = share_warehouse(connection_dsn(WAREHOUSE_CONN_ID), f"{ti.dag_id}.{ti.task_id}")


def holder(conn: psycopg.Connection) -> str:
    """Who holds the run lock, as pg_stat_activity knows them."""
    row = conn.execute(
        f"""select a.application_name, a.backend_start
           from pg_locks as l join pg_stat_activity as a using (pid)
           where l.locktype = 'advisory' and l.granted and l.pid <> pg_backend_pid()
             and l.objid = ({LOCK_KEY_SQL}::bigint & 4294967295)::oid
           limit 1""",
        (LOCK_NAME,),
    ).fetchone()
    if row is None:
        return "a run that has just ended"
    name, since = row
    return f"{name or 'an unnamed session'}, connected since {since:%Y-%m-%d %H:%M:%S %Z}"

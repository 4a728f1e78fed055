"""One run per warehouse at a time: the run lock, against a real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from c360.orchestration.run_lock import WarehouseBusy, warehouse_run_lock

FIRST_HOLDS = r"another run holds warehouse \S+ on \S+: c360 run: first, pid 1, connected since "


def test_a_second_run_stops_naming_the_first_and_runs_again_once_it_ended(warehouse_dsn):
    first = warehouse_run_lock(warehouse_dsn, "first, pid 1")
    second = warehouse_run_lock(warehouse_dsn, "second")
    with first, pytest.raises(WarehouseBusy, match=FIRST_HOLDS), second:
        pytest.fail("two runs held the warehouse at once")
    with warehouse_run_lock(warehouse_dsn, "third"):
        pass


def test_a_killed_run_leaves_the_warehouse_free(warehouse_dsn):
    with pytest.raises(RuntimeError, match="killed"), warehouse_run_lock(warehouse_dsn, "killed"):
        with psycopg.connect(warehouse_dsn, autocommit=True) as admin:
            admin.execute("select pg_terminate_backend(pid) from pg_stat_activity "
                          "where application_name = 'c360 run: killed'")
        raise RuntimeError("killed")
    with warehouse_run_lock(warehouse_dsn, "next"):
        pass

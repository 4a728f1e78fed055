"""One run per warehouse at a time: the run lock, against a real PostgreSQL."""

from __future__ import annotations

import threading

import psycopg
import pytest

from c360.orchestration.run_lock import WarehouseBusy, share_warehouse, warehouse_run_lock

FIRST_HOLDS = r"warehouse \S+ on \S+ is in use by c360 run: first, pid 1, connected since "


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


def test_a_run_stops_while_scheduler_tasks_use_the_warehouse(warehouse_dsn):
    first = share_warehouse(warehouse_dsn, "c360_build.publish")
    second = share_warehouse(warehouse_dsn, "c360_ingest_web.load")  # tasks share the warehouse
    with first, second, pytest.raises(WarehouseBusy, match=r"is in use by c360 task: "), \
            warehouse_run_lock(warehouse_dsn, "run"):
        pytest.fail("a run held the warehouse beside a scheduler's task")
    with warehouse_run_lock(warehouse_dsn, "run"):
        pass


def test_a_scheduler_task_waits_while_a_run_holds_the_warehouse(warehouse_dsn):
    held = []
    task = threading.Thread(target=lambda: held.append(share_warehouse(warehouse_dsn, "c360_build.dbt")))
    with warehouse_run_lock(warehouse_dsn, "run"):
        task.start()
        task.join(timeout=2)
        assert task.is_alive() and held == [], "a task went on while a run held the warehouse"
    task.join(timeout=10)
    assert len(held) == 1
    held[0].close()

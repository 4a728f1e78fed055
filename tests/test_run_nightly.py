"""`c360 run` through the real Airflow: the five ingest DAGs on a tiny hand-made night.

Each test starts one Airflow process (about 15-20 s: imports and the in-process
execution API), then each DAG run takes about a second.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

import psycopg
import pytest
from typer.testing import CliRunner

from c360.cli import app
from c360.config import load_settings
from c360.local.airflow_env import libpq_dsn
from c360.local.runner import DagRunResult
from c360.orchestration.dates import AMSTERDAM, run_logical_date
from c360.orchestration.pipeline import (
    CONTACT_CENTER,
    FINANCE,
    INGEST_SILOS,
    PRIVACY,
    STORE,
    WEB,
    ingest_dag_id,
    raw_asset_uri,
)
from c360.orchestration.run_lock import warehouse_run_lock
from tests.airflow_landing import (
    alerts,
    deliver_all,
    fill_billing,
    loaded_silos,
    mark_complete,
)
from tests.conftest import free_port
from tests.ingest_helpers import DAY

# A hung sensor or run fails the test instead of the session; the runner stops its Airflow.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def metadata(env: dict[str, str], query: str, params=()) -> list[tuple]:
    """Rows from Airflow's metadata database."""
    with psycopg.connect(libpq_dsn(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])) as conn:
        return conn.execute(query, params).fetchall()


def task_tries(env, dag_id: str, task_id: str, day) -> tuple[str, int]:
    [(state, tries)] = metadata(
        env,
        "select ti.state, ti.try_number from task_instance ti join dag_run dr using (dag_id, run_id) "
        "where dr.dag_id = %s and ti.task_id = %s and dr.logical_date = %s",
        (dag_id, task_id, run_logical_date(day)),
    )
    return state, tries


def asset_events(env, day) -> set[str]:
    """URIs of the Assets that the DAG runs of `day` emitted."""
    rows = metadata(
        env,
        "select a.uri from asset_event e join asset a on a.id = e.asset_id "
        "join dag_run dr on dr.dag_id = e.source_dag_id and dr.run_id = e.source_run_id "
        "where dr.logical_date = %s",
        (run_logical_date(day),),
    )
    return {uri for (uri,) in rows}


INGEST_DAGS = [ingest_dag_id(s) for s in INGEST_SILOS]


def c360_run(*args: str):
    """`c360 run` of the ingest DAGs (the build DAG has its own tests)."""
    started = time.monotonic()
    result = CliRunner().invoke(app, ["run", *args, *(f"--dag={d}" for d in INGEST_DAGS)])
    print(f"c360 run {' '.join(args)}: exit {result.exit_code} in {time.monotonic() - started:.1f}s")
    print(result.output)
    return result


def complete_once_rescheduled(env, landing, silo: str, day) -> threading.Event:
    """In the background, write the silo's `_SUCCESS` only after its sensor has poked in vain
    and been rescheduled; the returned event says that happened."""
    seen = threading.Event()

    def watch() -> None:
        give_up = time.monotonic() + 180
        while time.monotonic() < give_up:
            rows = metadata(
                env,
                "select ti.state from task_instance ti join dag_run dr using (dag_id, run_id) "
                "where dr.dag_id = %s and ti.task_id = 'wait_for_delivery' "
                "and dr.logical_date = %s", (ingest_dag_id(silo), run_logical_date(day)))
            if rows == [("up_for_reschedule",)]:
                seen.set()
                time.sleep(1.5)
                mark_complete(landing, silo, day)
                return
            time.sleep(0.2)

    threading.Thread(target=watch, daemon=True).start()
    return seen


def deliver_with_privacy_late(env, day) -> threading.Event:
    """Every silo's night, the privacy desk's `_SUCCESS` only once its sensor was rescheduled."""
    landing = load_settings().landing_dir
    deliver_all(landing, day, complete=False)
    for silo in (CONTACT_CENTER, WEB, STORE):
        mark_complete(landing, silo, day)
    late = complete_once_rescheduled(env, landing, PRIVACY, day)
    fill_billing(env["C360_FINANCE_DSN"], day)
    return late


def test_a_night_with_a_late_delivery_loads_every_silo_emits_assets_and_exits_zero(airflow_env):
    """Business date today, so the deadline (tomorrow 06:00) is ahead: the privacy desk's
    `_SUCCESS` comes late, its sensor is rescheduled until it does, then everything loads."""
    today = datetime.now(AMSTERDAM).date()
    late = deliver_with_privacy_late(airflow_env, today)

    result = c360_run("--start", str(today), "--end", str(today))

    assert result.exit_code == 0, result.output
    assert late.is_set()
    warehouse = airflow_env["C360_WAREHOUSE_DSN"]
    assert loaded_silos(warehouse) == {
        FINANCE: 3, CONTACT_CENTER: 1, WEB: 1, STORE: 1, PRIVACY: 1,
    }
    assert alerts(warehouse) == []
    assert asset_events(airflow_env, today) == {raw_asset_uri(s) for s in INGEST_SILOS}
    states = metadata(airflow_env, "select dag_id, state from dag_run where logical_date = %s",
                      (run_logical_date(today),))
    assert sorted(states) == sorted((ingest_dag_id(s), "success") for s in INGEST_SILOS)
    [privacy_log] = (load_settings().home / "logs" / "run").glob(
        f"*/{today}/{ingest_dag_id(PRIVACY)}.log")
    assert privacy_log.read_text().count("Poking callable") >= 2


def test_a_bad_night_alerts_owners_and_the_other_silos_go_on(airflow_env, monkeypatch):
    """The finance database is down: retried with backoff, then its owner is alerted. A
    corrupt web file fails the web load and alerts its owner once, without retrying. The
    store's `_SUCCESS` never came and its deadline has passed: alert, no load. The other
    silos load, and `c360 run` exits non-zero."""
    monkeypatch.setenv("C360_FINANCE_DSN", f"host=127.0.0.1 port={free_port()} dbname=billing "
                                           "user=reader connect_timeout=2")
    landing = load_settings().landing_dir
    deliver_all(landing, DAY, complete=False)
    for silo in (CONTACT_CENTER, WEB, PRIVACY):
        mark_complete(landing, silo, DAY)
    (landing / WEB / str(DAY) / "events-09.jsonl.gz").write_bytes(b"not gzip")

    result = c360_run("--start", str(DAY), "--end", str(DAY))

    assert result.exit_code == 1
    output = result.output.replace("\n", "")
    assert "c360_ingest_finance: failed: extract" in output
    assert "c360_ingest_web: failed: load" in output
    assert "some DAG runs failed" in output
    warehouse = airflow_env["C360_WAREHOUSE_DSN"]
    assert loaded_silos(warehouse) == {CONTACT_CENTER: 1, PRIVACY: 1}
    assert sorted(alerts(warehouse)) == sorted([
        (FINANCE, DAY, "source_unreachable", "finance-data@example.org"),
        (WEB, DAY, "contract", "web-analytics@example.org"),
        (STORE, DAY, "missing_delivery", "retail-ops@example.org"),
    ])
    # C360_FINANCE_RETRIES=2: three attempts, and one alert after the last
    assert task_tries(airflow_env, ingest_dag_id(FINANCE), "extract", DAY) == ("failed", 3)
    # a contract violation is not retried: the same file would be refused again
    assert task_tries(airflow_env, ingest_dag_id(WEB), "load", DAY) == ("failed", 1)
    assert task_tries(airflow_env, ingest_dag_id(STORE), "load", DAY)[0] == "skipped"
    assert asset_events(airflow_env, DAY) == {raw_asset_uri(s) for s in (CONTACT_CENTER, PRIVACY)}


def test_a_run_on_a_warehouse_another_run_holds_stops_and_runs_nothing(airflow_env):
    """Two runs over the same night on one warehouse would interleave loads, builds and
    publications: the second stops before it starts anything, naming the first."""
    landing = load_settings().landing_dir
    deliver_all(landing, DAY)
    fill_billing(airflow_env["C360_FINANCE_DSN"], DAY)
    warehouse = airflow_env["C360_WAREHOUSE_DSN"]

    with warehouse_run_lock(warehouse, "the first run"):
        result = c360_run("--start", str(DAY), "--end", str(DAY))

    said = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "is in use by c360 run: the first run" in said
    assert "nothing was run" in said
    assert loaded_silos(warehouse) == {}


def test_run_refuses_a_bad_date_range_and_unknown_dags():
    result = CliRunner().invoke(app, ["run", "--start", "2026-11-22", "--end", "2026-11-21"])
    assert result.exit_code == 1
    assert "end date 2026-11-21 is before start date" in result.output
    result = CliRunner().invoke(app, ["run", "--start", "2026-11-21", "--end", "2026-11-21",
                                      "--dag", "c360_ingest_mainframe"])
    assert result.exit_code == 1
    assert "not a nightly DAG: c360_ingest_mainframe" in result.output


def test_a_run_summary_names_failed_tasks_and_counts_the_ones_they_blocked(tmp_path):
    tasks = {"stg": "success", "links": "failed", "clusters": "upstream_failed",
             "golden": "upstream_failed"}
    failed = DagRunResult(DAY, "c360_build", "failed", 1.0, tmp_path, tasks)
    assert failed.summary == "failed: links (2 downstream not run)"
    many = DagRunResult(DAY, "c360_build", "failed", 1.0, tmp_path,
                        {f"m{i}": "failed" for i in range(5)})
    assert many.summary == "failed: m0, m1, m2 and 2 more"
    late = DagRunResult(DAY, ingest_dag_id(STORE), "success", 1.0, tmp_path,
                        {"wait_for_delivery": "success", "load": "skipped"})
    assert late.summary == "success (no delivery)" and late.ok

"""`c360 run --executor local`: the nightly DAGs under a real Airflow scheduler.

c360 starts the DAG processor, the API server, the scheduler (LocalExecutor) and
the triggerer, creates the runs of the date, waits and stops them. The ingest
DAGs run side by side, a sensor in reschedule mode waits for a late `_SUCCESS`,
an extract that failed on an unreachable source is retried, and the build is
started by the five silo Assets, for the date they loaded.
"""

from __future__ import annotations

import shutil
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from typer.testing import CliRunner

from c360.cli import app
from c360.config import load_settings
from c360.orchestration.dates import AMSTERDAM, run_logical_date
from c360.orchestration.pipeline import (
    BUILD_DAG_ID,
    CONTACT_CENTER,
    FINANCE,
    PRIVACY,
    STORE,
    WEB,
    ingest_dag_id,
)
from c360.warehouse.bootstrap import bootstrap
from tests.airflow_landing import deliver_all, fill_billing, loaded_silos
from tests.test_gate_build_dag import build_project  # noqa: F401 (a fixture)
from tests.test_quality_gate import _marts
from tests.test_run_nightly import INGEST_DAGS, deliver_with_privacy_late, metadata, task_tries

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REPOSITORY = Path(__file__).resolve().parents[1]


def run_under_scheduler(day, *dags: str):
    started = time.monotonic()
    result = CliRunner().invoke(app, ["run", "--start", str(day), "--end", str(day), "--executor", "local",
                                      *(f"--dag={d}" for d in dags)])
    print(f"c360 run --executor local: exit {result.exit_code} in {time.monotonic() - started:.1f}s")
    print(result.output)
    return result


def runs_of(env, day) -> dict[str, tuple]:
    """dag_id -> (run type, state, start, end) of the runs of `day`'s night, and of asset-triggered runs."""
    rows = metadata(env, "select dag_id, run_type, state, start_date, end_date from dag_run "
                         "where logical_date = %s or run_type = 'asset_triggered'", (run_logical_date(day),))
    return {dag_id: tuple(rest) for dag_id, *rest in rows}


BUILD_OF_NIGHT_SQL = """
select distinct dr.run_type, dr.state from dag_run as dr
join dagrun_asset_event as dae on dae.dag_run_id = dr.id
join asset_event as e on e.id = dae.event_id
join dag_run as src on src.dag_id = e.source_dag_id and src.run_id = e.source_run_id
where dr.dag_id = %s and src.logical_date = %s
"""


@pytest.fixture
def night_project(build_project, tmp_path) -> Path:  # noqa: F811
    """The ingest DAGs beside the build DAG with its stand-in dbt project, cut to the models of
    NIGHT_MODELS: under a real scheduler every model is a task of its own, and this night only
    has to reach the gate."""
    root = tmp_path / "night-project"
    root.mkdir()
    for entry in build_project.iterdir():
        if entry.name not in ("dags", "dbt_project"):
            (root / entry.name).symlink_to(entry)
    shutil.copytree(build_project / "dbt_project", root / "dbt_project", symlinks=True)
    for model in (root / "dbt_project" / "stand_in").glob("*.sql"):
        if model.stem not in (*NIGHT_MODELS, "privacy_request_matches"):
            model.unlink()
    (root / "dags").mkdir()
    for dag_file in (REPOSITORY / "dags").glob("*.py"):  # project_root() is the ingest project here
        (root / "dags" / dag_file.name).symlink_to(dag_file)
    return root


# the stand-in models the night builds; the other candidates stay as _marts made them
NIGHT_MODELS = ("customer_360", "customer_segments", "customer_propensity", "next_best_activity")


def due_night() -> date:
    """Yesterday: the latest night a scheduler runs (its logical date, 02:30 today, is past)."""
    now = datetime.now(AMSTERDAM)
    if now.hour < 3:
        pytest.skip("between 00:00 and 03:00 Amsterdam time yesterday's night is not due yet")
    return now.date() - timedelta(days=1)


def test_a_night_not_due_yet_is_refused_before_anything_starts(airflow_env):
    today = datetime.now(AMSTERDAM).date()
    result = run_under_scheduler(today, *INGEST_DAGS)
    assert result.exit_code == 1 and "is not due yet" in result.output


def billing_reader_back_after_a_failure(env, monkeypatch, day) -> threading.Event:
    """Point c360 at billing as a role that may not log in yet; in the background, let it log in
    once the extract has failed and waits for its retry. The returned event says that happened."""
    finance = env["C360_FINANCE_DSN"]
    with psycopg.connect(finance, autocommit=True) as conn:
        conn.execute("create role billing_flaky nologin password 'flaky-secret'")
        conn.execute("grant usage on schema billing to billing_flaky")
        conn.execute("grant select on all tables in schema billing to billing_flaky")
    monkeypatch.setenv("C360_FINANCE_DSN",
                       make_conninfo(finance, user="billing_flaky", password="flaky-secret"))
    back = threading.Event()

    def watch() -> None:
        give_up = time.monotonic() + 300
        while time.monotonic() < give_up:
            tries = metadata(env, "select ti.state, ti.try_number from task_instance ti "
                                  "join dag_run dr using (dag_id, run_id) where dr.dag_id = %s "
                                  "and ti.task_id = 'extract' and dr.logical_date = %s",
                             (ingest_dag_id(FINANCE), run_logical_date(day)))
            if tries == [("up_for_retry", 1)]:
                with psycopg.connect(finance, autocommit=True) as conn:
                    conn.execute("alter role billing_flaky login")
                back.set()
                return
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True).start()
    return back


def test_the_ingest_dags_run_side_by_side_a_sensor_waits_and_a_failed_extract_is_retried(
    airflow_env, monkeypatch
):
    # the delivery deadline (23:59 on the next day, today) is ahead, so the sensor waits
    today = due_night()
    monkeypatch.setenv("C360_DELIVERY_DEADLINE", "23:59:59")
    late = deliver_with_privacy_late(airflow_env, today)
    back = billing_reader_back_after_a_failure(airflow_env, monkeypatch, today)

    result = run_under_scheduler(today, *INGEST_DAGS)

    assert result.exit_code == 0, result.output
    assert late.is_set(), "the privacy sensor was never rescheduled"
    assert back.is_set() and task_tries(airflow_env, ingest_dag_id(FINANCE), "extract", today) == (
        "success", 2), "the extract was not retried after its first attempt failed"
    assert loaded_silos(airflow_env["C360_WAREHOUSE_DSN"]) == {
        FINANCE: 3, CONTACT_CENTER: 1, WEB: 1, STORE: 1, PRIVACY: 1}
    runs = runs_of(airflow_env, today)
    assert {d: (kind, state) for d, (kind, state, *_) in runs.items()} == {
        d: ("manual", "success") for d in INGEST_DAGS}
    # side by side: every run started before the first one ended
    first_end = min(end for *_, end in runs.values())
    assert all(start < first_end for _, _, start, _ in runs.values())


def test_the_silo_assets_start_the_build_for_the_date_they_loaded(airflow_env, night_project, monkeypatch):
    monkeypatch.setenv("C360_PROJECT_DIR", str(night_project))
    day = due_night()
    landing = load_settings().landing_dir
    deliver_all(landing, day)
    fill_billing(airflow_env["C360_FINANCE_DSN"], day)
    warehouse = airflow_env["C360_WAREHOUSE_DSN"]
    bootstrap(warehouse)
    with psycopg.connect(warehouse) as conn:
        _marts(conn)
        conn.execute("create schema stand_in")  # what the stand-in dbt project builds them from
        for table in NIGHT_MODELS:
            conn.execute(f"alter table marts.{table} set schema stand_in")

    result = run_under_scheduler(day, *INGEST_DAGS, BUILD_DAG_ID)

    runs = runs_of(airflow_env, day)
    assert all(runs[d][:2] == ("manual", "success") for d in INGEST_DAGS), runs
    # the build run that tonight's ingest runs' Asset events started
    [build] = metadata(airflow_env, BUILD_OF_NIGHT_SQL, (BUILD_DAG_ID, run_logical_date(day)))
    assert build[0] == "asset_triggered", build
    with psycopg.connect(airflow_env["C360_WAREHOUSE_DSN"]) as conn:
        gated = conn.execute("select count(*) from ops.quality_results where business_date = %s",
                             (day,)).fetchone()[0]
    assert gated > 0, "the build did not gate the date the silos loaded"
    # the stand-in golden record does not hold the silos' records: the gate stops the night
    assert build[1] == "failed" and result.exit_code == 1, result.output
    assert "quality_gate" in result.output


@pytest.mark.skipif(shutil.which("redis-server") is None,
                    reason="Debian's redis-server is not installed (.ci/run installs it)")
def test_the_ingest_dags_run_on_celery_workers(airflow_env):
    day = due_night()
    deliver_all(load_settings().landing_dir, day)
    fill_billing(airflow_env["C360_FINANCE_DSN"], day)

    result = CliRunner().invoke(app, ["run", "--start", str(day), "--end", str(day), "--executor", "celery",
                                      *(f"--dag={d}" for d in INGEST_DAGS)])

    assert result.exit_code == 0, result.output
    assert loaded_silos(airflow_env["C360_WAREHOUSE_DSN"]) == {
        FINANCE: 3, CONTACT_CENTER: 1, WEB: 1, STORE: 1, PRIVACY: 1}
    # the tasks went to the two Celery workers through Redis, not to the scheduler's processes
    [run_logs] = (load_settings().home / "logs" / "run").iterdir()
    received = [(run_logs / f"celery-worker-{n}.log").read_text().count("Task execute_workload[")
                for n in (1, 2)]
    tasks = metadata(airflow_env, "select count(*) from task_instance ti join dag_run dr "
                                  "using (dag_id, run_id) where dr.logical_date = %s",
                     (run_logical_date(day),))[0][0]
    assert sum(received) >= tasks and all(received), (received, tasks)

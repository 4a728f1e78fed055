"""DAG integrity: every file in dags/ imports, and every DAG carries what operators rely on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from c360.config import project_root
from c360.dates import NIGHTLY_CRON
from c360.pipeline import FINANCE, INGEST_SILOS, NIGHTLY_DAGS, ingest_dag_id, raw_asset_uri

DAGS_DIR = project_root() / "dags"


@pytest.fixture(scope="module")
def dag_bag(airflow_home):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=DAGS_DIR)


@pytest.fixture(scope="module")
def dags(dag_bag):
    return list(dag_bag.dags.values())


def test_every_dag_file_imports_without_errors(dag_bag):
    assert dag_bag.import_errors == {}
    files_with_dags = {dag.fileloc for dag in dag_bag.dags.values()}
    dag_files = {str(p) for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_")}
    assert dag_files and dag_files <= files_with_dags


def test_every_dag_the_runner_runs_exists(dag_bag):
    assert set(NIGHTLY_DAGS) <= set(dag_bag.dag_ids)


def test_no_cycles(dags):
    for dag in dags:
        dag.check_cycle()  # raises AirflowDagCycleException
        assert len(dag.topological_sort()) == len(dag.tasks)


def test_owner_retries_tags_and_docs(dags):
    for dag in dags:
        assert dag.doc_md and dag.doc_md.strip(), dag.dag_id
        assert dag.tags, dag.dag_id
        owner = dag.default_args.get("owner")
        assert owner and owner != "airflow", dag.dag_id
        for task in dag.tasks:
            assert task.owner == owner, (dag.dag_id, task.task_id)
            assert task.retries >= 1, (dag.dag_id, task.task_id)
            assert task.retry_delay > timedelta(0), (dag.dag_id, task.task_id)
            assert task.on_failure_callback, (dag.dag_id, task.task_id)


def test_nightly_schedule_in_amsterdam_without_catchup(dags):
    from airflow.sdk.definitions.timetables.trigger import CronTriggerTimetable

    for dag in dags:
        assert dag.timezone.name == "Europe/Amsterdam", dag.dag_id
        assert dag.catchup is False, dag.dag_id
        assert isinstance(dag.timetable, CronTriggerTimetable), dag.dag_id
        assert dag.timetable.expression == NIGHTLY_CRON
        assert getattr(dag.timetable.timezone, "name", dag.timetable.timezone) == "Europe/Amsterdam"


def test_each_ingest_dag_emits_its_silo_asset(dag_bag):
    for silo in INGEST_SILOS:
        dag = dag_bag.dags[ingest_dag_id(silo)]
        outlets = [o.uri for t in dag.tasks for o in t.outlets]
        assert outlets == [raw_asset_uri(silo)], silo


def test_file_silos_wait_for_success_in_reschedule_mode(dag_bag):
    for silo in INGEST_SILOS:
        if silo == FINANCE:
            continue
        dag = dag_bag.dags[ingest_dag_id(silo)]
        sensor = dag.get_task("wait_for_delivery")
        assert sensor.mode == "reschedule"
        assert dag.get_task("load").upstream_task_ids == {"wait_for_delivery"}


def test_finance_retries_with_exponential_backoff(dag_bag):
    extract = dag_bag.dags[ingest_dag_id(FINANCE)].get_task("extract")
    assert extract.retry_exponential_backoff
    assert extract.max_retry_delay is not None and extract.max_retry_delay >= extract.retry_delay

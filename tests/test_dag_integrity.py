"""DAG integrity: every file in dags/ imports, and every DAG carries what operators rely on."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from c360.config import project_root
from c360.orchestration.dates import NIGHTLY_CRON
from c360.orchestration.pipeline import (
    BUILD_DAG_ID,
    FINANCE,
    INGEST_SILOS,
    NIGHTLY_DAGS,
    ingest_dag_id,
    raw_asset_uri,
)

DAGS_DIR = project_root() / "dags"


@pytest.fixture(scope="module")
def facts(warehouse_schema_airflow_env) -> dict:
    """What Airflow parsed from dags/, from a subprocess in c360's Airflow environment (the
    build DAG renders dbt at parse time and caches it in Airflow's metadata)."""
    result = subprocess.run([sys.executable, "-m", "tests.airflow_dag_facts"],
                            env=warehouse_schema_airflow_env, cwd=project_root(),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def dags(facts) -> dict[str, dict]:
    return facts["dags"]


def test_every_dag_file_imports_without_errors(facts, dags):
    assert facts["import_errors"] == {}
    files_with_dags = {dag["fileloc"] for dag in dags.values()}
    dag_files = {str(p) for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_")}
    assert dag_files and dag_files <= files_with_dags


def test_every_dag_the_runner_runs_exists(dags):
    assert set(NIGHTLY_DAGS) <= set(dags)


def test_no_cycles(dags):
    for dag_id, dag in dags.items():
        assert dag["cycle"] is None, dag_id


def test_owner_retries_tags_and_docs(dags):
    for dag_id, dag in dags.items():
        assert dag["doc_md"].strip(), dag_id
        assert dag["tags"], dag_id
        assert dag["owner"] and dag["owner"] != "airflow", dag_id
        for task_id, task in dag["tasks"].items():
            assert task["owner"] == dag["owner"], (dag_id, task_id)
            assert task["retries"] >= 1, (dag_id, task_id)
            assert task["retry_delay"] > 0, (dag_id, task_id)


def test_every_dag_lives_in_amsterdam_time_without_catchup(dags):
    for dag_id, dag in dags.items():
        assert dag["timezone"] == "Europe/Amsterdam", dag_id
        assert dag["catchup"] is False, dag_id


def ingest_dags(dags) -> dict[str, dict]:
    return {silo: dags[ingest_dag_id(silo)] for silo in INGEST_SILOS}


def test_ingest_dags_run_nightly_and_alert_their_owner_on_failure(dags):
    for silo, dag in ingest_dags(dags).items():
        assert (dag["timetable"], dag["cron"], dag["cron_timezone"]) == (
            "CronTriggerTimetable", NIGHTLY_CRON, "Europe/Amsterdam"), silo
        for task_id, task in dag["tasks"].items():
            assert task["failure_callback_args"] == [[silo]], (silo, task_id)


def test_every_task_waits_while_a_c360_run_holds_the_warehouse(dags):
    # under a scheduler, a task shares the warehouse with other tasks, never with a `c360 run`
    for dag_id, dag in dags.items():
        for task_id, task in dag["tasks"].items():
            assert task["execute_callbacks"] == ["wait_for_warehouse"], (dag_id, task_id)


def test_each_ingest_dag_emits_its_silo_asset(dags):
    for silo, dag in ingest_dags(dags).items():
        outlets = [uri for task in dag["tasks"].values() for uri in task["outlets"]]
        assert outlets == [raw_asset_uri(silo)], silo


def test_file_silos_wait_for_success_in_reschedule_mode(dags):
    for silo, dag in ingest_dags(dags).items():
        if silo == FINANCE:
            continue
        assert dag["tasks"]["wait_for_delivery"]["mode"] == "reschedule", silo
        assert dag["tasks"]["load"]["upstream"] == ["wait_for_delivery"], silo


def test_finance_retries_with_exponential_backoff(dags):
    extract = dags[ingest_dag_id(FINANCE)]["tasks"]["extract"]
    assert extract["retry_exponential_backoff"]
    assert extract["max_retry_delay"] >= extract["retry_delay"] > 0


def test_build_dag_erases_before_dbt_and_publishes_only_after_the_gate(dags):
    tasks = dags[BUILD_DAG_ID]["tasks"]
    steps = ("privacy_suppression", "privacy_requests", "quality_gate", "publish")
    dbt_tasks = set(tasks) - set(steps)
    assert dbt_tasks, "the dbt task group rendered no tasks"
    # every dbt task runs after the suppression pass: it is the DAG's only root
    assert [t for t, task in tasks.items() if not task["upstream"]] == ["privacy_suppression"]
    assert set(tasks["privacy_requests"]["upstream"]) <= dbt_tasks
    # the gate waits for the privacy step and for a build that passed its data tests
    assert "privacy_requests" in tasks["quality_gate"]["upstream"]
    assert "dbt.dbt_project_test" in tasks["quality_gate"]["upstream"]
    assert set(tasks["quality_gate"]["upstream"]) - {"privacy_requests"} <= dbt_tasks
    assert tasks["quality_gate"]["trigger_rule"] == "all_success"
    assert tasks["publish"]["upstream"] == ["quality_gate"]


def test_build_dag_watches_dbt_after_the_producer_and_tests_before_the_gate(dags):
    tasks = dags[BUILD_DAG_ID]["tasks"]
    producer, data_tests = "dbt.dbt_producer_watcher", "dbt.dbt_project_test"
    nodes = {t: task for t, task in tasks.items() if task["dbt_node"]}
    assert len(nodes) > 40, "a task per dbt model, seed and snapshot"
    for task_id, task in nodes.items():
        assert task["producer"] == producer, task_id
        assert set(task["upstream"]) <= {producer, *nodes}, task_id
    # the roots of the dbt graph wait for the producer to end, however it ended: each then
    # reports its node's result, or runs its node itself
    roots = {t for t, task in nodes.items() if not set(task["upstream"]) & set(nodes)}
    assert roots
    for task_id in roots:
        assert (nodes[task_id]["upstream"], nodes[task_id]["trigger_rule"]) == ([producer], "all_done")
    # the data tests run after every node, and the privacy step (then the gate) after them
    leaves = set(nodes) - {u for task in nodes.values() for u in task["upstream"]}
    assert tasks[data_tests]["dbt_command"] == ["test"]
    assert set(tasks[data_tests]["upstream"]) == leaves
    assert tasks[data_tests]["trigger_rule"] == "all_success"
    assert data_tests in tasks["privacy_requests"]["upstream"]
    # the privacy step carries out matched requests whatever dbt did
    assert tasks["privacy_requests"]["trigger_rule"] == "all_done"
    # every dbt command runs with the run's business date (the gate's and publishing's)
    for task_id in (producer, data_tests, *nodes):
        assert tasks[task_id]["interceptors"] == ["pass_business_date"], task_id
        # and the settings the project reads as vars (the interceptor adds the business date)
        assert tasks[task_id]["dbt_vars"] == {"attribution_lookback_days": 30,
                                              "history_retention_days": 730}, task_id
    # dbt's unit tests run in CI, not in the night's build or tests; the models that read
    # tonight's scores are built after scoring
    for task_id in (producer, data_tests):
        assert tasks[task_id]["dbt_exclude"].split() == ["resource_type:unit_test", "tag:scored"], task_id
    assert {data_tests, "privacy_requests"} <= set(tasks["score_propensity"]["upstream"])
    assert tasks["scored_models"]["upstream"] == ["score_propensity"]
    assert "scored_models" in tasks["quality_gate"]["upstream"]

"""The build DAG's parts: dbt model by model with astronomer-cosmos.

Cosmos renders every dbt model, snapshot and seed as its own Airflow task, so a
failed model is visible in the Airflow UI and retried on its own, and the
lineage in Airflow is dbt's lineage. It does so in its *watcher* mode: one
producer task runs a single `dbt build` of every model, seed and snapshot (one
parse, dbt's own threads), and each node's task reports that node's result from
the producer; a node's task that is retried runs its node itself, and so does
every node task when the producer's own retry is skipped (cosmos never builds
the whole project twice in one run). Per-node `dbt build` invocations cost 2 to
4 seconds of parsing, hooks and bookkeeping each, which at ~45 nodes was most of
a night's build. (At 10,000 persons on the shared 2-core machine: 155 s a night;
260 s with a test task per model.)

One `dbt test` task runs the data tests after all nodes, so nothing untested
reaches the gate. dbt's unit tests check the SQL on fixed inputs: they run in CI
(tests/test_dbt_*.py), not every night, as dbt recommends
(https://docs.getdbt.com/docs/build/unit-tests, "When to run unit tests").

The producer runs first and the node tasks after it (see `_watch_after_producer`),
so the DAG behaves the same under the scheduler and under `DAG.test()`, where
tasks run one at a time in one process and a node task that waited for the
producer would wait forever.

dbt runs in the task's process through dbtRunner. The connection comes from the
Airflow connection `c360_warehouse` through cosmos' profile mapping; the
committed profiles.yml serves plain `dbt` and `c360 dbt` only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    PRODUCER_WATCHER_TASK_ID,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    TestBehavior,
)
from cosmos.profiles import PostgresUserPasswordProfileMapping

from c360.config import load_settings
from c360.orchestration.connections import WAREHOUSE_CONN_ID, connection_dsn
from c360.orchestration.dates import AMSTERDAM
from c360.orchestration.dbt_runner import dbt_executable, run_dbt
from c360.orchestration.failures import business_date, failure_callback
from c360.orchestration.pipeline import BUILD_DAG_ID, GOLDEN_RECORD, INGEST_SILOS, raw_asset_uri
from c360.orchestration.publishing import warehouse_settings
from c360.orchestration.run_lock import wait_for_warehouse
from c360.quality.owners import owner_of

DBT_PROFILE = "c360"
DBT_TARGET = "warehouse"
# Outward contract: dbt writes its default schema as marts; folders pick their own.
DBT_DEFAULT_SCHEMA = "marts"
# The build runs once all silos have landed, or at this time at the latest (a silo may be late).
BUILD_FALLBACK_CRON = "0 7 * * *"
# libpq parameters of a DSN that dbt's PostgreSQL profile also takes; others reach c360's own
# connections only.
DBT_LIBPQ_PARAMETERS = ("sslmode", "sslcert", "sslkey", "sslrootcert", "connect_timeout",
                        "keepalives_idle", "application_name")
DBT_INTEGER_PARAMETERS = ("port", "connect_timeout", "keepalives_idle")
# dbt's threads: more than the cores, as much of a model's time is waiting on PostgreSQL.
DBT_THREADS = 4
# Models that read the night's propensity scores (dbt_project.yml): built after scoring.
SCORED_TAG = "scored"


def pass_business_date(context: dict[str, Any], operator: Any) -> None:
    """Give dbt the run's business date (var business_date), the one the privacy step, the
    gate and publishing use; the dbt project requires it and owns no date of its own, so a
    re-run of an older date builds as of that date. A cosmos interceptor, called before each
    dbt command (the producer's build, a retried node, the test task)."""
    operator.vars = {**(operator.vars or {}), "business_date": business_date(context).isoformat()}


class WarehouseProfileMapping(PostgresUserPasswordProfileMapping):
    """cosmos' mapping of the warehouse connection, with what a libpq DSN may hold: no password
    (trust, peer, `.pgpass`, client certificates; libpq ignores an empty one) and the TLS and
    other parameters dbt's PostgreSQL profile takes, from the connection's extras."""

    required_fields = ["host", "user", "dbname"]
    airflow_param_mapping = {
        **PostgresUserPasswordProfileMapping.airflow_param_mapping,
        **{name: f"extra.{name}" for name in DBT_LIBPQ_PARAMETERS},
    }

    def get_dbt_value(self, name: str) -> Any:
        value = super().get_dbt_value(name)
        if value is None:
            return "" if name == "password" else None
        return int(value) if name in DBT_INTEGER_PARAMETERS else value


def dbt_task_group(group_id: str = "dbt") -> DbtTaskGroup:
    settings = load_settings()
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=settings.dbt_project_dir, install_dbt_deps=False
        ),
        profile_config=ProfileConfig(
            profile_name=DBT_PROFILE,
            target_name=DBT_TARGET,
            profile_mapping=WarehouseProfileMapping(
                conn_id=WAREHOUSE_CONN_ID, profile_args={"schema": DBT_DEFAULT_SCHEMA}
            ),
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.DBT_RUNNER,
            # Found even when this virtualenv is not on PATH (cosmos checks for the executable).
            dbt_executable_path=dbt_executable(),
        ),
        operator_args={
            # The producer's build and the test task run independent nodes side by side.
            "dbt_cmd_flags": ["--threads", str(DBT_THREADS)],
            "interceptors": [pass_business_date],
            # Settings the project reads as vars; the interceptor adds the business date.
            "vars": {"attribution_lookback_days": settings.attribution_lookback_days,
                     "history_retention_days": settings.history_retention_days},
            # Node tasks start once the producer is done, so their first look finds the result.
            "deferrable": False,
            "poke_interval": 5,
            # A node whose result never comes fails instead of holding the night.
            "timeout": 600,
        },
        render_config=RenderConfig(
            load_method=LoadMode.DBT_LS,
            # The data tests run in one `dbt test` task after every model: one task per model's
            # tests doubles the node tasks, each with Airflow's bookkeeping, and tests inside the
            # producer's build cost more (cosmos reports every event of every test to XCom,
            # which more than doubles a night's build). The gate and
            # publishing wait for the test task, so nothing untested is published.
            test_behavior=TestBehavior.AFTER_ALL,
            # Unit tests run in CI, not nightly (the producer and the test task exclude them).
            # Models tagged scored read tonight's scores: the scored step builds them after scoring.
            exclude=["resource_type:unit_test", f"tag:{SCORED_TAG}"],
            # Nothing schedules on per-table Assets; the night's outputs reach BI through
            # `published`. (Set here: cosmos overrides the operator argument with this.)
            emit_datasets=False,
            # `dbt ls` with the real profile leaves a partial-parse file every task can reuse;
            # with cosmos' mock profile each task would parse the whole project again.
            enable_mock_profile=False,
            # Every task keeps the DAG's owner (the golden record's), who hears of a failed build.
            enable_owner_inheritance=False,
        ),
    )
    _watch_after_producer(group)
    return group


def _watch_after_producer(group: DbtTaskGroup) -> None:
    """Start the node tasks at the root of the dbt graph once the producer has finished.

    `all_done`, not success: when the producer fails, each node task still reports
    its node's own result, or (no result) runs its node itself.
    """
    producer = group.children[f"{group.group_id}.{PRODUCER_WATCHER_TASK_ID}"]
    for node in group.iter_tasks():
        if node is producer or node.upstream_list:
            continue
        if getattr(node, "producer_task_id", None) == producer.task_id:
            producer >> node
            node.trigger_rule = "all_done"


def score_propensity(context: dict[str, Any]) -> dict[str, Any]:
    """Score tonight's customers with the latest model per product line (none: no rows, a log line)."""
    from c360.prediction.scoring import score

    scored = score(connection_dsn(WAREHOUSE_CONN_ID), business_date(context))
    return {"rows": scored.rows, "models": scored.models}


def build_scored_models(context: dict[str, Any]) -> None:
    """The second dbt step: `dbt build` of the models tagged scored, their tests included.

    A handful of models, so one task in the task's process rather than a second cosmos group
    (which would parse the project again every time the DAG file is parsed).
    """
    day = business_date(context).isoformat()
    code = run_dbt(warehouse_settings(), ["build", "--select", f"tag:{SCORED_TAG}",
                                          "--threads", str(DBT_THREADS),
                                          "--vars", f"{{business_date: {day}}}"])
    if code:
        raise RuntimeError(f"dbt build of the models tagged {SCORED_TAG} failed (exit {code}); see the log")


@task(task_id="score_propensity")
def score_propensity_task(**context: Any) -> dict[str, Any]:
    return score_propensity(context)


@task(task_id="scored_models")
def scored_models_task(**context: Any) -> None:
    build_scored_models(context)


def build_dag_args() -> dict[str, Any]:
    from airflow.sdk import Asset, AssetAll, AssetOrTimeSchedule, CronTriggerTimetable

    from c360.orchestration.ingest import START_DATE, nightly_schedule

    silos = AssetAll(*(Asset(raw_asset_uri(silo)) for silo in INGEST_SILOS))
    return {
        "dag_id": BUILD_DAG_ID,
        "schedule": AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(BUILD_FALLBACK_CRON, timezone=AMSTERDAM.key), assets=silos,
        ) if nightly_schedule() else silos,
        "start_date": START_DATE,
        "catchup": False,
        "max_active_runs": 1,
        "tags": ["c360", "build", "dbt"],
        "default_args": golden_record_default_args(),
    }


def golden_record_default_args() -> dict[str, Any]:
    """The build's and the training DAG's: the golden record's owner hears of a failure."""
    from c360.orchestration.ingest import int_env

    return {
        "owner": owner_of(GOLDEN_RECORD).name,
        "retries": 1,
        # the ingest DAGs' setting (c360.orchestration.ingest): tests retry after a second
        "retry_delay": timedelta(seconds=int_env("C360_RETRY_DELAY_SECONDS", 120)),
        "on_failure_callback": failure_callback(GOLDEN_RECORD),
        "on_execute_callback": wait_for_warehouse,
    }

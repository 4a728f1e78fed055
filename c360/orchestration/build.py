"""The build DAG's parts: dbt model by model with astronomer-cosmos.

Cosmos renders every dbt model, snapshot and seed as its own Airflow task
(`dbt build --select <node>`: the node, its data tests and its unit tests), so a
failed model is visible in the Airflow UI and retried on its own, and the
lineage in Airflow is dbt's lineage. dbt runs in the task's process through
dbtRunner (no interpreter start per model). The connection comes from the
Airflow connection `c360_warehouse` through cosmos' profile mapping; the
committed profiles.yml serves plain `dbt` and `c360 dbt` only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import InvocationMode, LoadMode, TestBehavior
from cosmos.profiles import PostgresUserPasswordProfileMapping

from c360.config import load_settings
from c360.connections import WAREHOUSE_CONN_ID
from c360.dates import AMSTERDAM
from c360.dbt_runner import dbt_executable
from c360.orchestration.failures import failure_callback
from c360.owners import owner_of
from c360.pipeline import BUILD_DAG_ID, GOLDEN_RECORD, INGEST_SILOS, raw_asset_uri

DBT_PROFILE = "c360"
DBT_TARGET = "warehouse"
# Outward contract: dbt writes its default schema as marts; folders pick their own.
DBT_DEFAULT_SCHEMA = "marts"
# The build runs once all silos have landed, or at this time at the latest (a silo may be late).
BUILD_FALLBACK_CRON = "0 7 * * *"


def dbt_task_group(group_id: str = "dbt") -> DbtTaskGroup:
    settings = load_settings()
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=settings.dbt_project_dir, install_dbt_deps=False
        ),
        profile_config=ProfileConfig(
            profile_name=DBT_PROFILE,
            target_name=DBT_TARGET,
            profile_mapping=PostgresUserPasswordProfileMapping(
                conn_id=WAREHOUSE_CONN_ID, profile_args={"schema": DBT_DEFAULT_SCHEMA}
            ),
        ),
        execution_config=ExecutionConfig(
            invocation_mode=InvocationMode.DBT_RUNNER,
            # Found even when this virtualenv is not on PATH (cosmos checks for the executable).
            dbt_executable_path=dbt_executable(),
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_LS,
            test_behavior=TestBehavior.BUILD,
            # `dbt ls` with the real profile leaves a partial-parse file every task can reuse;
            # with cosmos' mock profile each task would parse the whole project again.
            enable_mock_profile=False,
            # A test over two models (relationships) runs once both are built, not with the first.
            should_detach_multiple_parents_tests=True,
            # Every task keeps the DAG's owner (the golden record's), who hears of a failed build.
            enable_owner_inheritance=False,
        ),
    )


def build_dag_args() -> dict[str, Any]:
    from airflow.sdk import Asset, AssetAll, AssetOrTimeSchedule, CronTriggerTimetable

    from c360.orchestration.ingest import START_DATE

    return {
        "dag_id": BUILD_DAG_ID,
        "schedule": AssetOrTimeSchedule(
            timetable=CronTriggerTimetable(BUILD_FALLBACK_CRON, timezone=AMSTERDAM.key),
            assets=AssetAll(*(Asset(raw_asset_uri(silo)) for silo in INGEST_SILOS)),
        ),
        "start_date": START_DATE,
        "catchup": False,
        "max_active_runs": 1,
        "tags": ["c360", "build", "dbt"],
        "default_args": {
            "owner": owner_of(GOLDEN_RECORD).name,
            "retries": 1,
            "retry_delay": timedelta(minutes=2),
            "on_failure_callback": failure_callback(GOLDEN_RECORD),
        },
    }

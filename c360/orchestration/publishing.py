"""The build DAG's last two tasks: the quality gate on dbt's candidates, then write-audit-publish.

dbt builds the candidates in `marts`, which BI cannot read. `quality_gate`
runs the Great Expectations checkpoint for the run's business date, keeps every
result, builds the data docs and alerts the owner of each failure with the
evidence. `publish` then copies the candidates into `published` in one
transaction (c360.publishing.publish). A failed gate fails its task without a retry (the
same data would fail again; fix it and re-run the date with `c360 run`), so
publishing does not run and the last publication stays as it was.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from airflow.sdk import task

from c360.config import Settings, load_settings
from c360.orchestration.connections import WAREHOUSE_CONN_ID, connection_dsn
from c360.orchestration.failures import ContractFailure, business_date
from c360.publishing.publish import publish
from c360.quality.gate import GateFailed, require_passed, run_gate
from c360.quality.suites.bi import BI_TABLES

# What BI reads, built by dbt under the same names in the candidate schema.
PUBLISHED_TABLES = ("customer_360", "customer_segments", "customer_propensity", "next_best_activity",
                    "attribution_by_content", "attribution_by_campaign", "attribution_by_product_line",
                    *BI_TABLES,
                    "customer_360_daily", "segment_membership_history")
CANDIDATE_SCHEMA = "marts"


class GateBlocked(ContractFailure):
    """The gate found data that must not be published; each owner was alerted with the evidence.

    A ContractFailure: Airflow fails the task without retrying, and the DAG's
    failure callback does not alert a second time.
    """


def warehouse_settings() -> Settings:
    """c360's settings, with the warehouse of the Airflow connection that dbt wrote to."""
    return replace(load_settings(), warehouse_dsn_env=connection_dsn(WAREHOUSE_CONN_ID))


def check_quality(context: dict[str, Any]) -> dict[str, Any]:
    """Run the gate for the run's business date; raise GateBlocked unless nothing blocks publishing."""
    day = business_date(context)
    dag_run = context.get("dag_run")
    run_by = f"airflow {dag_run.dag_id} {dag_run.run_id}" if dag_run else "airflow"
    result = run_gate(warehouse_settings(), day, run_by=run_by)
    try:
        require_passed(result)
    except GateFailed as exc:
        raise GateBlocked(str(exc)) from exc
    return {
        "business_date": day.isoformat(),
        "expectations": len(result.outcomes),
        "warnings": len(result.failures),
        "data_docs": str(result.data_docs),
    }


def publish_candidates(context: dict[str, Any]) -> dict[str, int]:
    """Swap the gated candidates into `published`; rows per published relation."""
    published = publish(
        connection_dsn(WAREHOUSE_CONN_ID), PUBLISHED_TABLES, CANDIDATE_SCHEMA, business_date(context)
    )
    return {p.relation: p.row_count for p in published}


@task(task_id="quality_gate")
def quality_gate(**context: Any) -> dict[str, Any]:
    return check_quality(context)


@task(task_id="publish")
def publish_published(**context: Any) -> dict[str, int]:
    return publish_candidates(context)

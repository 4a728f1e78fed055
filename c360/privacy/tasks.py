"""The privacy step as two Airflow tasks for the build DAG (dags/build.py wires them).

    suppress = enforce_suppressions_task()    # after ingest, before dbt
    requests = apply_privacy_requests_task()  # after dbt, whatever it did; before the gate
    suppress >> dbt >> requests >> quality_gate

A failure alerts the privacy owner, who answers for requests being carried out.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import TriggerRule, task

from c360.config import load_settings
from c360.orchestration.connections import WAREHOUSE_CONN_ID, connection_dsn
from c360.orchestration.failures import business_date, failure_callback
from c360.orchestration.pipeline import PRIVACY
from c360.privacy.nightly import apply_privacy_requests
from c360.privacy.suppression import enforce_suppressions


def enforce_suppressions_task():
    @task(task_id="privacy_suppression", on_failure_callback=failure_callback(PRIVACY))
    def privacy_suppression(**context: Any) -> dict[str, int]:
        """Erase again the rows of persons erased earlier that tonight's loads brought back."""
        dsn = connection_dsn(WAREHOUSE_CONN_ID)
        counts = enforce_suppressions(load_settings(), business_date(context), dsn)
        return {f"{relation} {action}": n for (relation, action), n in counts.items()}

    return privacy_suppression()


def apply_privacy_requests_task():
    # whatever dbt did: requests matched on an earlier night are carried out even when a model
    # or test fails tonight (the matches dbt built before stay in place)
    @task(task_id="privacy_requests", on_failure_callback=failure_callback(PRIVACY),
          trigger_rule=TriggerRule.ALL_DONE)
    def privacy_requests(**context: Any) -> dict[str, Any]:
        """Access exports, restrictions and erasures dbt matched tonight; alert the rest."""
        dsn = connection_dsn(WAREHOUSE_CONN_ID)
        report = apply_privacy_requests(load_settings(), business_date(context), dsn)
        return {"handled": dict(report.handled), "alerted": report.alerted,
                "landing_lines_removed": sum(report.scrubbed_files.values()),
                "landing_files_expired": len(report.expired_deliveries)}

    return privacy_requests()

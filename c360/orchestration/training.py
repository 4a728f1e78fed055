"""The propensity models' own DAG: retrain every product line weekly, apart from the nightly build.

Training for the run's business date learns from label windows closed by it and keeps
each model with its backtest in predictions.model_runs (c360.prediction.training); the
build's next night scores with it. Predicted CLV's backtest (c360.prediction.clv) runs
beside it, so the rule's error against later spend is measured every week too.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from airflow.sdk import task

from c360.orchestration.connections import WAREHOUSE_CONN_ID, connection_dsn
from c360.orchestration.dates import AMSTERDAM
from c360.orchestration.failures import business_date

TRAIN_DAG_ID = "c360_train_propensity"
# Mondays, after the night's build has had its latest start (07:00).
TRAIN_CRON = "0 9 * * 1"

log = logging.getLogger(__name__)


@task(task_id="train")
def train_task(**context: Any) -> dict[str, Any]:
    from c360.prediction.clv import backtest as clv_backtest
    from c360.prediction.training import train

    day = business_date(context)
    with psycopg.connect(connection_dsn(WAREHOUSE_CONN_ID)) as conn:
        runs = train(conn, day, progress=log.info)
        clv = clv_backtest(conn, day, progress=log.info)
    for run in [*runs, *([clv] if clv else [])]:
        log.info("%s: backtest on %s: %s", run.model_version, run.backtest_date,
                 {k: v for k, v in run.metrics.items() if k != "calibration"})
    return {run.product_line: run.model_version for run in runs}


def train_dag_args() -> dict[str, Any]:
    from airflow.sdk import CronTriggerTimetable

    from c360.orchestration.build import golden_record_default_args
    from c360.orchestration.ingest import START_DATE, nightly_schedule

    return {
        "dag_id": TRAIN_DAG_ID,
        "schedule": CronTriggerTimetable(TRAIN_CRON, timezone=AMSTERDAM.key) if nightly_schedule() else None,
        "start_date": START_DATE,
        "catchup": False,
        "max_active_runs": 1,
        "tags": ["c360", "prediction"],
        "default_args": golden_record_default_args(),
    }

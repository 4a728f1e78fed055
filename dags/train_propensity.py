"""
# Train propensity: one scikit-learn model per product line, weekly

Learns who buys a product line in the store or web shop within 30 days from features
taken as of earlier business dates (purchases, web research and contacts up to that
date only; c360/prediction), backtests each model on the latest closed window beside a
recency-frequency baseline (AUC, top-decile lift, calibration), and keeps model and
figures in `predictions.model_runs`. The build DAG scores every night with the latest
model; this DAG only trains, on its own schedule.

- **Schedule**: Mondays 09:00 Europe/Amsterdam (off when `C360_NIGHTLY_SCHEDULE=off`);
  by hand: `c360 train --date YYYY-MM-DD`.
- **Connection**: `c360_warehouse`.
"""

from airflow.sdk import dag

from c360.orchestration.training import train_dag_args, train_task


@dag(**train_dag_args(), doc_md=__doc__)
def c360_train_propensity():
    train_task()


c360_train_propensity()

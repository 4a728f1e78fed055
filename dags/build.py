"""
# Build: dbt, model by model

Runs the dbt project (`dbt_project/`) on the warehouse once the night's silos
have landed: staging per silo, identity resolution (candidate pairs, evidence,
links, clusters, stable ids), the golden record and its history. Every dbt node
is its own task (astronomer-cosmos), running the model with its data tests and
unit tests, so a failing model is visible here and retried alone.

- **Schedule**: when all five raw Assets (`c360://raw/<silo>`) have been updated,
  or at 07:00 Europe/Amsterdam at the latest, so a silo that missed its deadline
  does not hold the night back.
- **Connection**: `c360_warehouse`.
"""

from airflow.sdk import dag

from c360.orchestration.build import build_dag_args, dbt_task_group


@dag(**build_dag_args(), doc_md=__doc__)
def c360_build():
    dbt_task_group()


c360_build()

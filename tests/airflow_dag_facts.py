"""Parse the DAG folder the way Airflow's DAG processor does and print what the integrity test checks.

Run as `python -m tests.airflow_dag_facts` in c360's Airflow environment: the
build DAG renders dbt models at parse time and caches them in Airflow
Variables, so parsing needs the real metadata database and connections, which
a subprocess gets regardless of what the test process imported before.
"""

from __future__ import annotations

import json
import os
import sys


def seconds(delta) -> float | None:
    return delta.total_seconds() if delta is not None else None


def task_facts(task) -> dict:
    callbacks = as_list(task.on_failure_callback)
    return {
        "owner": task.owner,
        "retries": task.retries,
        "retry_delay": seconds(task.retry_delay),
        "retry_exponential_backoff": bool(task.retry_exponential_backoff),
        "max_retry_delay": seconds(task.max_retry_delay),
        "outlets": [getattr(o, "uri", str(o)) for o in task.outlets],
        "mode": getattr(task, "mode", None),
        "upstream": sorted(task.upstream_task_ids),
        "trigger_rule": str(getattr(task.trigger_rule, "value", task.trigger_rule)),
        "operator": type(task).__name__,
        # cosmos' dbt tasks: the node a task watches, its producer, its dbt command and exclusions
        "dbt_node": getattr(task, "model_unique_id", None),
        "producer": getattr(task, "producer_task_id", None),
        "dbt_command": list(getattr(task, "base_cmd", None) or []),
        "dbt_exclude": getattr(task, "exclude", None),
        "interceptors": [getattr(i, "__name__", repr(i)) for i in getattr(task, "interceptors", None) or []],
        "dbt_vars": getattr(task, "vars", None),
        "failure_callback_args": [list(getattr(c, "args", ())) for c in callbacks],
        "execute_callbacks": [getattr(c, "__name__", repr(c)) for c in as_list(task.on_execute_callback)],
    }


def as_list(callbacks) -> list:
    return callbacks if isinstance(callbacks, list) else [callbacks] if callbacks else []


def dag_facts(dag) -> dict:
    try:
        dag.check_cycle()
        cycle = None
    except Exception as exc:  # AirflowDagCycleException: report it, the test fails on it
        cycle = str(exc)
    timetable = dag.timetable
    tz = getattr(timetable, "timezone", None)
    return {
        "fileloc": dag.fileloc,
        "doc_md": dag.doc_md or "",
        "tags": sorted(dag.tags),
        "owner": dag.default_args.get("owner"),
        "timezone": dag.timezone.name,
        "catchup": dag.catchup,
        "timetable": type(timetable).__name__,
        "cron": getattr(timetable, "expression", None),
        "cron_timezone": getattr(tz, "name", tz),
        "cycle": cycle,
        "tasks": {t.task_id: task_facts(t) for t in dag.tasks},
    }


def main() -> None:
    from airflow.dag_processing.dagbag import DagBag

    events = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # Airflow's and dbt's output goes to stderr; stdout carries the JSON only
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    json.dump({
        "import_errors": bag.import_errors,
        "dags": {dag_id: dag_facts(dag) for dag_id, dag in bag.dags.items()},
    }, events)
    events.close()


if __name__ == "__main__":
    sys.exit(main())

"""Run DAGs for business dates under a real Airflow scheduler: `c360 run --executor`.

`c360.local.runner` starts this module instead of `dag_runs` when an executor is
named. It starts what a deployment runs: the API server (the UI, and the
execution API that tasks report to), the scheduler with the executor, the DAG
processor and the triggerer, each logging to the run's log folder; for the
CeleryExecutor also Redis as the broker (Debian's `redis-server`) and two Celery
workers. Once the
DAG processor has parsed the DAGs it creates, date by date, a run of every
ingest DAG with the date's logical date; when all five ingest DAGs run, the
build is not triggered: the scheduler starts it from the five Assets the
ingest runs emit, as it does at night. Each run is awaited and told to the
parent on the events pipe, as `dag_runs` does. Whatever it started is stopped
when it ends or is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

from c360.local.airflow_env import libpq_dsn
from c360.local.dag_runs import event_writer, worker_arguments
from c360.local.postgres import free_port
from c360.orchestration.dates import run_logical_date
from c360.orchestration.ingest import NIGHTLY_SCHEDULE
from c360.orchestration.pipeline import BUILD_DAG_ID, INGEST_SILOS, ingest_dag_id

EXECUTORS = {"local": "LocalExecutor", "celery": "CeleryExecutor"}
CELERY_WORKERS = 2
COMPONENTS = ("dag-processor", "api-server", "scheduler", "triggerer")
FINISHED = {"success", "failed"}
START_TIMEOUT = 300  # seconds for the components to come up and the DAGs to be parsed
RUN_TIMEOUT = 3600  # seconds a DAG run may take
POLL_SECONDS = 2.0
# the ingest tasks that update a silo's Asset (a load skipped for want of a delivery does not)
ASSET_TASKS = ("load", "extract")


class SchedulerError(RuntimeError):
    """A component did not come up, or a run never finished."""


def not_yet_due(day: date) -> datetime | None:
    """The logical date of `day`'s night when it lies ahead: a scheduler does not run it before."""
    logical_date = run_logical_date(day)
    return logical_date if logical_date > datetime.now(UTC) else None


def component_env(executor: str, api_port: int, broker_port: int | None) -> dict[str, str]:
    env = {
        **os.environ,
        "AIRFLOW__CORE__EXECUTOR": EXECUTORS[executor],
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        # only the runs this module creates, and the builds the Assets start: no run of the
        # DAGs' nightly times (tonight's date, which this run was not asked for)
        NIGHTLY_SCHEDULE: "off",
    }
    if broker_port is not None:
        metadata_url = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        env.update({
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{broker_port}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata_url}",
        })
    return env


def redis_server() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise SchedulerError("--executor celery needs Redis as its broker: install Debian's "
                             "`redis-server` package (c360 starts it for the run)")
    return found


@contextmanager
def components(executor: str, log_dir: Path) -> Iterator[Callable[[str], None]]:
    """Yields `start(name)`, which starts an Airflow service; all run until the block ends."""
    port = free_port()
    broker_port = free_port() if executor == "celery" else None
    env = component_env(executor, port, broker_port)
    started: list[subprocess.Popen] = []

    def launch(name: str, command: list[str], extra_env: dict[str, str] | None = None) -> None:
        with (log_dir / f"{name}.log").open("ab") as log:
            started.append(subprocess.Popen(command, env={**env, **(extra_env or {})}, stdout=log,
                                            stderr=log, start_new_session=True))

    def start(name: str) -> None:
        args = ["api-server", "--host", "127.0.0.1", "--port", str(port)] if name == "api-server" else [name]
        launch(name, [sys.executable, "-m", "airflow", *args])
        if name == "scheduler" and broker_port is not None:  # the workers, each with its log server
            for n in range(1, CELERY_WORKERS + 1):
                launch(f"celery-worker-{n}",
                       [sys.executable, "-m", "airflow", "celery", "worker",
                        "--celery-hostname", f"c360-worker-{n}@%h"],
                       {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())})

    if broker_port is not None:  # the broker first, as the embedded PostgreSQL is started for a run
        launch("redis", [redis_server(), "--bind", "127.0.0.1", "--port", str(broker_port),
                         "--save", "", "--appendonly", "no"])
    start.port = port
    try:
        yield start
    finally:
        for process in reversed(started):
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the component's whole process group (its task processes too), then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_until(what: str, ready: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise SchedulerError(f"{what} did not happen within {timeout:.0f} s; see the logs of "
                                 f"{', '.join(COMPONENTS)} in the run's log folder")
        time.sleep(POLL_SECONDS)


def healthy(port: int) -> bool:
    """The API server answers and the scheduler, DAG processor and triggerer report in."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5) as r:
            health = json.load(r)
    except (OSError, ValueError):
        return False
    return all(health.get(part, {}).get("status") == "healthy"
               for part in ("metadatabase", "scheduler", "triggerer", "dag_processor"))


class Metadata:
    """What the runner reads of Airflow's metadata database."""

    def __init__(self, dsn: str):
        self.dsn = dsn

    def rows(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(query, params).fetchall()

    def now(self) -> object:
        return self.rows("select now()")[0][0]

    def parsed(self, dag_ids: list[str], since: object) -> bool:
        """Every DAG parsed anew since `since`, active and not paused."""
        found = self.rows("select dag_id from dag where dag_id = any(%s) and not is_stale "
                          "and not is_paused and last_parsed_time >= %s", (dag_ids, since))
        return len(found) == len(dag_ids)

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        rows = self.rows("select state from dag_run where dag_id = %s and run_id = %s", (dag_id, run_id))
        return rows[0][0] if rows else None

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        return dict(self.rows("select task_id, coalesce(state, 'none') from task_instance "
                              "where dag_id = %s and run_id = %s", (dag_id, run_id)))

    def triggered_by(self, dag_id: str, source_run_ids: list[str]) -> list[str]:
        """Runs of `dag_id` that Asset events of the runs `source_run_ids` started (events queued
        before, by runs through DAG.test() say, may start another build, which is not ours)."""
        return [run_id for (run_id,) in self.rows(
            """select distinct dr.run_id from dag_run as dr
               join dagrun_asset_event as dae on dae.dag_run_id = dr.id
               join asset_event as e on e.id = dae.event_id
               where dr.dag_id = %s and e.source_run_id = any(%s)""", (dag_id, source_run_ids))]


def trigger(dag_id: str, day: date) -> str:
    """A run of `dag_id` with the logical date of `day`'s night, replacing an earlier run of that
    date as `c360 run` without an executor does (DAG.test()); its run id."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunTriggeredByType
    from sqlalchemy import select

    logical_date = run_logical_date(day)
    with create_session() as session:
        earlier = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id,
                                                      DagRun.logical_date == logical_date))
        if earlier is not None:
            session.delete(earlier)
    dag_run = trigger_dag(dag_id, logical_date=logical_date, triggered_by=DagRunTriggeredByType.CLI)
    return dag_run.run_id


def await_run(metadata: Metadata, dag_id: str, run_id: str) -> str:
    wait_until(f"run {run_id} of {dag_id} finishing",
               lambda: metadata.run_state(dag_id, run_id) in FINISHED, RUN_TIMEOUT)
    return metadata.run_state(dag_id, run_id)


def run_dates(args: argparse.Namespace, metadata: Metadata, emit) -> int:
    dag_ids = args.dags.split(",")
    ingest = [d for d in dag_ids if d != BUILD_DAG_ID]
    # the whole night: the build follows its Assets; else it is triggered like the others
    by_assets = BUILD_DAG_ID in dag_ids and set(ingest) == {ingest_dag_id(s) for s in INGEST_SILOS}
    failed = False
    for day in [date.fromisoformat(d) for d in args.dates.split(",")]:
        started = time.monotonic()
        runs = {}
        for dag_id in ingest:  # side by side, as the scheduler starts them at night
            emit(event="start", business_date=day.isoformat(), dag_id=dag_id, log=args.log)
            runs[dag_id] = trigger(dag_id, day)
        emitted = True  # every ingest run updated its silo's Asset
        for dag_id, run_id in runs.items():
            state, tasks = await_and_tell(args, metadata, emit, day, dag_id, run_id, started)
            failed |= state != "success"
            emitted &= any(tasks.get(t) == "success" for t in ASSET_TASKS)
        if BUILD_DAG_ID in dag_ids:
            started = time.monotonic()
            emit(event="start", business_date=day.isoformat(), dag_id=BUILD_DAG_ID, log=args.log)
            if by_assets and emitted:
                run_id = started_by_assets(metadata, day, list(runs.values()))
            else:  # as at the build's fall-back time, when a silo did not deliver
                run_id = trigger(BUILD_DAG_ID, day)
            state, _ = await_and_tell(args, metadata, emit, day, BUILD_DAG_ID, run_id, started)
            failed |= state != "success"
        if failed and args.fail_fast:
            return 1
    return 1 if failed else 0


def await_and_tell(args, metadata: Metadata, emit, day: date, dag_id: str, run_id: str, started: float
                   ) -> tuple[str, dict[str, str]]:
    """Wait for a run and tell the parent; its state and its tasks' states."""
    state = await_run(metadata, dag_id, run_id)
    tasks = metadata.task_states(dag_id, run_id)
    emit(event="done", business_date=day.isoformat(), dag_id=dag_id, state=state, tasks=tasks,
         seconds=round(time.monotonic() - started, 2), log=args.log)
    return state, tasks


def started_by_assets(metadata: Metadata, day: date, ingest_run_ids: list[str]) -> str:
    """The build run the scheduler started from the Asset events of tonight's ingest runs."""
    wait_until(f"the build of {day} being started by the silos' Assets",
               lambda: metadata.triggered_by(BUILD_DAG_ID, ingest_run_ids), START_TIMEOUT)
    return metadata.triggered_by(BUILD_DAG_ID, ingest_run_ids)[-1]


def main(argv: list[str] | None = None) -> int:
    parser = worker_arguments(__doc__)
    parser.add_argument("--executor", required=True, choices=sorted(EXECUTORS))
    args = parser.parse_args(argv)
    args.log = str(args.log_dir)  # each run's task logs are Airflow's; the components' logs are here
    emit = event_writer(args.events_fd)

    # a SIGTERM from the parent stops the components on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    metadata = Metadata(libpq_dsn(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]))
    with components(args.executor, args.log_dir) as start:
        # the scheduler starts once the DAG processor has stored the DAGs as they are now (without
        # their nightly times), so it acts on nothing an earlier parse left
        since = metadata.now()
        start("dag-processor")
        wait_until("the DAG processor parsing the DAGs",
                   lambda: metadata.parsed(args.dags.split(","), since), START_TIMEOUT)
        for name in ("api-server", "scheduler", "triggerer"):
            start(name)
        wait_until("the Airflow services reporting healthy", lambda: healthy(start.port), START_TIMEOUT)
        emit(event="ready")
        return run_dates(args, metadata, emit)


if __name__ == "__main__":
    sys.exit(main())

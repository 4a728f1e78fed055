"""Run DAGs for business dates inside one Airflow process: the engine of `c360 run`.

`c360.local.runner` starts this module as `python -m c360.local.dag_runs` with
the Airflow environment. For every date and DAG it does what
`airflow dags test <dag_id> <logical date>` does, `DAG.test()`: a real DAG run in
the metadata database, tasks run with their dependencies, retries, sensor
reschedules and callbacks, without a long-running scheduler. One process for
the whole range instead of one `airflow dags test` per DAG saves Airflow's
start-up (about 20 s: imports and the in-process execution API) on every run.

Each DAG run's output goes to its own log file; one JSON line per event goes
to the parent on a pipe of its own (`--events-fd`), so nothing a library prints
can be taken for progress.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from c360.orchestration.dates import run_logical_date

# cosmos' watcher producer rewrites an Airflow Variable with all its XComs so far on every
# push (~250 a night, inside dbt's event callbacks), so that a producer retried after its
# process died can restore them, a cost that grows with the night. Here that process
# is this one, and the next `c360 run` of the date is a new DAG run that never reads the copy;
# a producer that fails in the ordinary way still writes it, from its failure callback.
COSMOS_RELIABLE_RETRY = "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY"
# The Airflow minor version whose DAG.test() internals `parsed_once` replaces (checked before).
PATCHED_AIRFLOW = "3.3."


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (file descriptors, so Airflow's too) to `path`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def load_bags() -> dict[str, object]:
    """Parse the DAG folder the way `airflow dags test` does: one DagBag per DAG bundle."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    bags = {}
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        bags[bundle.name] = BundleDagBag(
            dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name
        )
    return bags


@contextlib.contextmanager
def parsed_once(bags: dict[str, object]) -> Iterator[None]:
    """Let DAG.test() reuse this process's parse of the DAG folder instead of parsing it again.

    DAG.test() parses every DAG file of the bundle on each call, to store sibling
    DAGs (apache/airflow#64884). For c360 that is six files, one of them rendering
    the whole dbt project with cosmos: seconds per DAG run, six runs a night. The
    files do not change while `c360 run` runs, so the parse from its start serves.
    """
    import airflow
    import airflow.dag_processing.dagbag as dagbag_module

    if not airflow.__version__.startswith(PATCHED_AIRFLOW):
        print(f"c360 reuses its parse of the DAG folder only on Airflow {PATCHED_AIRFLOW}.x, where "
              f"DAG.test() is known to parse the folder again; on Airflow {airflow.__version__} each "
              "DAG run parses it itself (slower, same results). Check whether apache/airflow#64884 "
              "still holds and extend PATCHED_AIRFLOW in c360/local/dag_runs.py.", flush=True)
        yield
        return
    parse = dagbag_module.BundleDagBag

    def reuse(*, bundle_name: str, **kwargs: object) -> object:
        return bags[bundle_name] if bundle_name in bags else parse(bundle_name=bundle_name, **kwargs)

    dagbag_module.BundleDagBag = reuse
    try:
        yield
    finally:
        dagbag_module.BundleDagBag = parse


def run_one(dag, business_date: date) -> tuple[str, dict[str, str]]:
    """One DAG run for `business_date`; its final state and the state of each task."""
    dag_run = dag.test(logical_date=run_logical_date(business_date))
    tasks = {ti.task_id: _text(ti.state) for ti in dag_run.get_task_instances()}
    return _text(dag_run.state), tasks


def _text(state: object) -> str:
    return str(getattr(state, "value", state))


def worker_arguments(description: str) -> argparse.ArgumentParser:
    """What `c360.local.runner` tells a worker (this module, or `scheduled_runs`): the dates, the DAGs,
    where to log, whether to stop at the first failure, and the pipe it reads events from."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dates", required=True, help="business dates, comma-separated")
    parser.add_argument("--dags", required=True, help="DAG ids in order, comma-separated")
    parser.add_argument("--log-dir", required=True, type=Path)
    parser.add_argument("--fail-fast", action="store_true")
    parser.add_argument("--events-fd", required=True, type=int, help="where the parent reads events")
    return parser


def event_writer(fd: int) -> Callable[..., None]:
    """emit(**event): one JSON line to the parent on its own pipe (everything else goes to logs)."""
    events = os.fdopen(fd, "w", buffering=1)

    def emit(**event: object) -> None:
        events.write(json.dumps(event) + "\n")

    return emit


def main(argv: list[str] | None = None) -> int:
    args = worker_arguments(__doc__).parse_args(argv)
    emit = event_writer(args.events_fd)

    os.environ.setdefault(COSMOS_RELIABLE_RETRY, "False")  # before cosmos reads its settings
    from airflow.providers_manager import ProvidersManager

    ProvidersManager().initialize_providers_configuration()
    with output_to(args.log_dir / "parse.log"):
        bags = load_bags()
    dags = {dag_id: dag for bag in bags.values() for dag_id, dag in bag.dags.items()}
    import_errors = {path: error for bag in bags.values() for path, error in bag.import_errors.items()}
    emit(event="ready")
    with parsed_once(bags):
        return run_all(args, dags, import_errors, emit)


def run_all(args: argparse.Namespace, dags: dict, import_errors: dict, emit) -> int:
    """Every date and DAG in order, each DAG run's output in its own log file."""
    for day in [date.fromisoformat(d) for d in args.dates.split(",")]:
        for dag_id in args.dags.split(","):
            log_path = args.log_dir / day.isoformat() / f"{dag_id}.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.unlink(missing_ok=True)
            emit(event="start", business_date=day.isoformat(), dag_id=dag_id, log=str(log_path))
            started = time.monotonic()
            with output_to(log_path):
                if dag_id in dags:
                    try:
                        state, tasks = run_one(dags[dag_id], day)
                    except Exception:  # the run could not even be set up: show why, go on
                        traceback.print_exc()
                        state, tasks = "failed", {}
                else:
                    print(f"DAG {dag_id} not found in the DAG folder; import errors: "
                          f"{json.dumps(import_errors, indent=2)}", flush=True)
                    state, tasks = "failed", {}
            emit(event="done", business_date=day.isoformat(), dag_id=dag_id, state=state,
                 tasks=tasks, seconds=round(time.monotonic() - started, 2), log=str(log_path))
            if args.fail_fast and state != "success":
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`c360 run` stopped from outside (a `kill`, a CI timeout, a container stop) stops its Airflow.

The run is a real `c360 run` process of the web ingest DAG for today's business
date with no delivery: its `_SUCCESS` sensor waits until tomorrow's deadline, so
the night is still running in Airflow when the signal comes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime

import psutil
import pytest

from c360.orchestration.dates import AMSTERDAM
from c360.orchestration.pipeline import WEB, ingest_dag_id
from tests.test_run_nightly import metadata

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

DAG_RUNS_MODULE = "c360.local.dag_runs"


def airflow_worker(parent: psutil.Process) -> psutil.Process | None:
    """The Airflow process `c360 run` started, once it exists."""
    for child in parent.children(recursive=True):
        try:
            if DAG_RUNS_MODULE in child.cmdline():
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def wait_for(condition, seconds: float, what: str):
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        if found := condition():
            return found
        time.sleep(0.3)
    raise AssertionError(f"gave up after {seconds:.0f}s waiting for {what}")


def test_sigterm_to_c360_run_stops_its_airflow_process(airflow_env):
    """airflow_env is in os.environ (monkeypatched), so the child gets it."""
    today = datetime.now(AMSTERDAM).date().isoformat()  # its delivery deadline is still ahead
    dag_id = ingest_dag_id(WEB)
    run = subprocess.Popen(
        [sys.executable, "-c", "from c360.cli import app; app()",
         "run", "--start", today, "--end", today, "--dag", dag_id],
        env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    worker = None
    try:
        parent = psutil.Process(run.pid)
        worker = wait_for(lambda: airflow_worker(parent), 60, "the Airflow process")
        wait_for(lambda: metadata(airflow_env, "select 1 from dag_run where dag_id = %s "
                                  "and state = 'running'", (dag_id,)), 90,
                 "the DAG run to be running")

        run.terminate()
        code = run.wait(timeout=30)
        output = run.stdout.read().decode(errors="replace")

        assert code != 0, output
        gone, alive = psutil.wait_procs([worker], timeout=15)
        assert not alive, f"c360 run exited ({code}) but left Airflow running: pid {worker.pid}"
    finally:  # whatever happened, leave nothing running for the next tests
        if run.poll() is None:
            run.kill()
        if worker is not None and worker.is_running():
            worker.kill()

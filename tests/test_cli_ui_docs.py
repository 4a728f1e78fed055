"""`c360 ui` shows the runs `c360 run` wrote; `c360 docs` builds dbt docs and data docs.

The UI test starts the real Airflow API server on the session's metadata
database and asks its REST API (the one the UI reads) for the DAG run that a
`c360 run` just made; it then stops `c360 ui` with SIGTERM, as a service manager
would, and checks the server went with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime

import psutil
import pytest
from typer.testing import CliRunner

from c360.cli import app
from c360.orchestration.dates import run_logical_date
from c360.orchestration.pipeline import PRIVACY, ingest_dag_id
from c360.warehouse.bootstrap import bootstrap
from tests.conftest import free_port
from tests.ingest_helpers import DAY

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def get_json(url: str) -> dict | None:
    """The JSON answer, or None while the server is not answering yet."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def test_ui_serves_the_runs_of_c360_run_and_stops_with_its_command(airflow_env, monkeypatch):
    dag_id = ingest_dag_id(PRIVACY)  # nothing delivered and the deadline long past: a quick run
    ran = CliRunner().invoke(app, ["run", "--start", str(DAY), "--end", str(DAY), f"--dag={dag_id}"])
    assert ran.exit_code == 0, ran.output

    # the REST API without a login, so the test need not read the generated admin password
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    port = free_port()
    ui = subprocess.Popen(
        [sys.executable, "-c", "from c360.cli import app; app()", "ui", "--port", str(port)],
        env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/api/v2"
    server: list[psutil.Process] = []
    try:
        give_up = time.monotonic() + 150
        while get_json(f"{base}/monitor/health") is None:
            assert ui.poll() is None, ui.stdout.read().decode(errors="replace")
            assert time.monotonic() < give_up, "the Airflow UI did not answer within 150 s"
            time.sleep(1)
        runs = get_json(f"{base}/dags/{dag_id}/dagRuns")
        logical_dates = {datetime.fromisoformat(run["logical_date"]) for run in runs["dag_runs"]}
        assert run_logical_date(DAY) in logical_dates, runs

        server = psutil.Process(ui.pid).children(recursive=True)
        assert server, "c360 ui started no Airflow process"
        ui.terminate()
        ui.wait(timeout=30)
        _, alive = psutil.wait_procs(server, timeout=30)
        assert not alive, f"c360 ui stopped but left {[p.pid for p in alive]} running"
    finally:  # whatever failed, no server is left for the next tests
        if ui.poll() is None:
            server = server or psutil.Process(ui.pid).children(recursive=True)
            ui.kill()
        for process in server:
            if process.is_running():
                process.kill()


def test_docs_builds_dbt_docs_and_data_docs_under_c360_home(c360_env, tmp_path):
    bootstrap(c360_env["C360_WAREHOUSE_DSN"])

    result = CliRunner().invoke(app, ["docs"])

    assert result.exit_code == 0, result.output
    printed = "".join(result.output.split())  # the console may wrap long paths
    dbt_index = tmp_path / "home" / "docs" / "dbt" / "static_index.html"
    assert f"dbtdocs:{dbt_index}" in printed
    page = dbt_index.read_text()
    assert "model.c360.customer_xref" in page and "model.c360.customer_360" in page
    data_docs = printed.split("datadocs:", 1)[1]
    assert data_docs.startswith(str(tmp_path / "home")) and data_docs.endswith("index.html")
    assert os.path.isfile(data_docs)


def test_docs_says_why_when_the_warehouse_cannot_be_reached(c360_env, monkeypatch):
    monkeypatch.setenv("C360_WAREHOUSE_DSN", f"host=127.0.0.1 port={free_port()} dbname=nowhere "
                                             "user=nobody connect_timeout=2")

    result = CliRunner().invoke(app, ["docs"])

    assert result.exit_code != 0
    assert "dbt docs generate" in result.output

"""The environment c360 gives Airflow, its metadata database, and the `c360 airflow` passthrough."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from airflow.models.connection import Connection

from c360.config import load_settings
from c360.local.airflow_env import airflow_environment, ensure_metadata
from c360.orchestration.pipeline import NIGHTLY_DAGS
from tests.ingest_helpers import fetch

C360 = str(Path(sys.executable).with_name("c360"))


@pytest.fixture
def embedded_settings(tmp_path, monkeypatch):
    """Settings of an embedded install whose PostgreSQL password is `s3cret` on port 54999."""
    pg_dir = tmp_path / "pg"
    pg_dir.mkdir()
    (pg_dir / "password").write_text("s3cret\n")
    for name in ("C360_WAREHOUSE_DSN", "C360_FINANCE_DSN", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("C360_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("C360_PG_DIR", str(pg_dir))
    monkeypatch.setenv("C360_PG_PORT", "54999")
    monkeypatch.delenv("AIRFLOW_HOME", raising=False)
    return load_settings()


def connection(env: dict[str, str], conn_id: str) -> tuple:
    """The connection Airflow reads from the environment: address, login, password, extras."""
    conn = Connection.from_json(env[f"AIRFLOW_CONN_{conn_id.upper()}"], conn_id=conn_id)
    return conn.host, conn.port, conn.login, conn.password, conn.schema, conn.extra_dejson


def test_embedded_install_uses_the_airflow_database_and_derives_connections(embedded_settings):
    env = airflow_environment(embedded_settings, base={"C360_SOMETHING": "kept"})
    assert env["AIRFLOW_HOME"] == str(embedded_settings.home / "airflow")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(embedded_settings.project_dir / "dags")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Europe/Amsterdam"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == (
        "postgresql+psycopg://c360:s3cret@127.0.0.1:54999/airflow"
    )
    assert connection(env, "c360_warehouse") == ("127.0.0.1", 54999, "c360", "s3cret", "warehouse", {})
    assert connection(env, "c360_finance") == ("127.0.0.1", 54999, "c360", "s3cret", "finance", {})
    assert env["C360_SOMETHING"] == "kept"


def test_external_warehouse_respects_a_user_metadata_url_and_quotes_secrets(c360_env, monkeypatch):
    monkeypatch.setenv("C360_WAREHOUSE_DSN", "host=db.example port=5433 user=etl "
                                             "password='p@ss word/:' dbname=dwh")
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql+psycopg://af@meta/af")
    env = airflow_environment(load_settings())
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql+psycopg://af@meta/af"
    assert connection(env, "c360_warehouse") == ("db.example", 5433, "etl", "p@ss word/:", "dwh", {})


def test_a_socket_host_no_password_and_parameters_reach_the_connection_as_written(c360_env, monkeypatch):
    monkeypatch.setenv("C360_WAREHOUSE_DSN", "host=/var/run/PostgreSQL port=5433 user=etl dbname=dwh "
                                             "sslmode=verify-full sslrootcert=/etc/ca.pem connect_timeout=5")
    env = airflow_environment(load_settings())
    assert connection(env, "c360_warehouse") == (
        "/var/run/PostgreSQL", 5433, "etl", None, "dwh",
        {"sslmode": "verify-full", "sslrootcert": "/etc/ca.pem", "connect_timeout": "5"})


def test_external_warehouse_without_finance_leaves_only_that_connection_out(c360_env, monkeypatch):
    monkeypatch.delenv("C360_FINANCE_DSN")
    monkeypatch.delenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", raising=False)
    env = airflow_environment(load_settings(), base={"AIRFLOW_CONN_C360_FINANCE": "stale"})
    assert "AIRFLOW_CONN_C360_FINANCE" not in env
    assert "AIRFLOW_CONN_C360_WAREHOUSE" in env
    # metadata in the warehouse database, schema `airflow` by search_path
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("?options=-csearch_path%3Dairflow")


def test_a_migrated_metadata_database_is_not_migrated_again(airflow_metadata_url, airflow_home):
    env = {"AIRFLOW_HOME": str(airflow_home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN":
           airflow_metadata_url}
    started = time.monotonic()
    assert ensure_metadata(env) is False
    assert time.monotonic() - started < 2


@pytest.mark.slow
def test_airflow_passthrough_with_metadata_in_the_warehouse_schema(warehouse_schema_airflow_env):
    """`c360 airflow ...` runs Airflow's CLI with c360's environment; with an external
    warehouse and no metadata URL, Airflow's tables are in the warehouse's `airflow` schema."""
    env = {k: v for k, v in warehouse_schema_airflow_env.items() if not k.startswith("AIRFLOW__")}
    started = time.monotonic()
    result = subprocess.run([C360, "airflow", "dags", "list", "--local", "-o", "json"],
                            env=env, capture_output=True, text=True)
    print(f"c360 airflow dags list: {time.monotonic() - started:.1f}s")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(NIGHTLY_DAGS) <= {d["dag_id"] for d in listed}
    tables = fetch(env["C360_WAREHOUSE_DSN"],
                   "select table_schema, count(*) from information_schema.tables "
                   "where table_name in ('dag', 'alembic_version') group by 1")
    assert tables == [("airflow", 2)]

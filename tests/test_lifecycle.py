"""`c360 up`, `down`, `status` and `dbt debug` as a user runs them, on real PostgreSQL servers."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from c360.local import postgres
from tests.conftest import dsn_as, free_port

C360 = str(Path(sys.executable).with_name("c360"))


def run_c360(*args: str, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([C360, *args], env=env, capture_output=True, text=True, timeout=timeout)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("C360_", "AIRFLOW"))}
    env["COLUMNS"] = "200"  # keep rich from wrapping the lines we assert on
    env.update(extra)
    return env


@contextlib.contextmanager
def embedded_c360_home() -> Iterator[dict[str, str]]:
    """A C360_HOME in a folder the postgres user can reach; its server stopped and removed after."""
    root = Path(tempfile.mkdtemp(prefix="c360-test-home-"))
    root.chmod(0o755)
    env = clean_env(C360_HOME=str(root / "home"), C360_PG_PORT=str(free_port()))
    try:
        yield env
    finally:
        run_c360("down", env=env)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def embedded_home():
    with embedded_c360_home() as env:
        yield env


def test_up_twice_is_harmless_and_creates_the_databases(embedded_home):
    first = run_c360("up", env=embedded_home)
    assert first.returncode == 0, first.stderr
    assert "embedded PostgreSQL started" in first.stdout

    second = run_c360("up", env=embedded_home)
    assert second.returncode == 0, second.stderr
    assert "already running" in second.stdout

    pg_dir = Path(embedded_home["C360_HOME"]) / "pg"
    server = postgres.EmbeddedPostgres(root=pg_dir, port=int(embedded_home["C360_PG_PORT"]))
    assert {"warehouse", "finance", "airflow"} <= set(server.databases())
    with psycopg.connect(server.dsn("warehouse")) as conn:
        tables = {r[0] for r in conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema = 'ops'"
        )}
    assert {"ops.load_ledger", "ops.quarantine", "ops.alerts"} <= tables

    # the BI role logs in with the password `c360 up` generated beside the cluster
    bi_password = (pg_dir / "bi_reader_password").read_text().strip()
    with psycopg.connect(dsn_as(server.dsn("warehouse"), "bi_reader", bi_password)) as conn:
        assert conn.execute("select current_user").fetchone() == ("bi_reader",)
    # and reads neither Airflow's metadata nor the finance source
    for private in ("airflow", "finance"):
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(dsn_as(server.dsn(private), "bi_reader", bi_password))
    assert oct((pg_dir / "bi_reader_password").stat().st_mode & 0o777) == "0o600"

    status = run_c360("status", env=embedded_home)
    assert status.returncode == 0, status.stderr
    assert "PostgreSQL 15" in status.stdout or "PostgreSQL 1" in status.stdout

    down = run_c360("down", env=embedded_home)
    assert "stopped" in down.stdout
    assert not server.is_running()
    # and up again after down brings the same cluster back, data intact
    again = run_c360("up", env=embedded_home)
    assert again.returncode == 0, again.stderr
    assert "warehouse" in server.databases()


def test_up_refuses_a_port_taken_by_another_program(embedded_home):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        env = dict(embedded_home, C360_PG_PORT=str(blocker.getsockname()[1]))
        result = run_c360("up", env=env)
    assert result.returncode == 1
    assert "already taken by another program" in result.stderr
    assert "C360_PG_PORT" in result.stderr


def test_missing_server_binaries_say_how_to_get_them(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(postgres, "DEBIAN_BIN_GLOB", str(tmp_path / "none" / "*"))
    with pytest.raises(postgres.PostgresError, match="apt-get install postgresql"):
        postgres.find_binary("initdb")


def test_external_warehouse_dsn_starts_nothing_and_bootstraps_an_empty_database(warehouse_dsn, tmp_path):
    env = clean_env(C360_HOME=str(tmp_path / "home"), C360_WAREHOUSE_DSN=warehouse_dsn)
    result = run_c360("up", env=env)
    assert result.returncode == 0, result.stderr
    assert "nothing started" in result.stdout
    assert not (tmp_path / "home" / "pg").exists()
    with psycopg.connect(warehouse_dsn) as conn:
        schemas = {r[0] for r in conn.execute("select nspname from pg_namespace")}
    assert {"ops", "raw_finance", "raw_contact_center", "raw_web", "raw_store", "raw_privacy"} <= schemas
    # a second up on the same database changes nothing and does not fail
    assert run_c360("up", env=env).returncode == 0


def test_dbt_debug_passes_against_the_warehouse(warehouse_dsn, tmp_path):
    env = clean_env(C360_HOME=str(tmp_path / "home"), C360_WAREHOUSE_DSN=warehouse_dsn)
    result = run_c360("dbt", "debug", env=env)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "All checks passed" in result.stdout


def test_status_without_a_cluster_says_to_run_up(tmp_path):
    env = clean_env(C360_HOME=str(tmp_path / "home"), C360_PG_PORT=str(free_port()))
    result = run_c360("status", env=env)
    assert result.returncode == 0, result.stderr
    assert "run `c360 up`" in result.stdout

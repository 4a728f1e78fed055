"""Fixtures for the Airflow tests: one Airflow home and metadata database for the session.

`airflow db migrate` takes about ten seconds, so it runs once per session on
the test cluster; each test points c360 at it through
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN (the way an operator with an external
warehouse does) and gets short retry delays and poke intervals.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from c360.config import dsn_to_uri, load_settings, project_root
from c360.local.airflow_env import SQLALCHEMY_SCHEME, airflow_environment, ensure_metadata

AIRFLOW_TEST_DB = "airflow_meta"
FALLBACK_WAREHOUSE_DB = "warehouse_with_airflow"

# Fast settings for runs in tests: a retry after a second, a poke every second.
FAST_RUNS = {
    "C360_TASK_RETRIES": "1",
    "C360_FINANCE_RETRIES": "2",
    "C360_RETRY_DELAY_SECONDS": "1",
    "C360_MAX_RETRY_DELAY_SECONDS": "2",
    "C360_DELIVERY_POKE_SECONDS": "1",
}


@pytest.fixture(scope="session", autouse=True)
def airflow_home(tmp_path_factory) -> Iterator[Path]:
    """AIRFLOW_HOME for the session, set before any test imports airflow (it reads it on import),
    so no test writes to ~/airflow."""
    home = tmp_path_factory.mktemp("airflow-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_HOME", str(home))
        mp.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        mp.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(project_root() / "dags"))
        yield home


@pytest.fixture(scope="session")
def airflow_metadata_url(pg, airflow_home) -> str:
    """A migrated Airflow metadata database on the test cluster, as a SQLAlchemy URL."""
    pg.create_database(AIRFLOW_TEST_DB)
    url = dsn_to_uri(pg.dsn(AIRFLOW_TEST_DB), SQLALCHEMY_SCHEME)
    ensure_metadata({**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url})
    return url


@pytest.fixture(scope="session")
def warehouse_schema_airflow_env(pg, tmp_path_factory) -> Iterator[dict[str, str]]:
    """The Airflow environment of an external warehouse without AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:
    Airflow's metadata in the warehouse database's `airflow` schema, migrated once."""
    pg.create_database(FALLBACK_WAREHOUSE_DB)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow-home-fallback")))
        mp.setenv("C360_HOME", str(tmp_path_factory.mktemp("c360-home-fallback")))
        mp.setenv("C360_WAREHOUSE_DSN", pg.dsn(FALLBACK_WAREHOUSE_DB))
        mp.setenv("C360_FINANCE_DSN", pg.dsn(FALLBACK_WAREHOUSE_DB))
        mp.delenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", raising=False)
        mp.delenv("C360_PROJECT_DIR", raising=False)
        env = airflow_environment(load_settings())
    ensure_metadata(env)
    yield env


@pytest.fixture(scope="session")
def ingest_project(tmp_path_factory) -> Path:
    """A project folder whose dags/ holds only the ingest DAG files (linked, not copied), so
    the ingest runs do not pay for parsing the build DAG (dbt ls) on every DAG run."""
    root = tmp_path_factory.mktemp("ingest-project")
    (root / "dags").mkdir()
    for dag_file in (project_root() / "dags").glob("ingest_*.py"):
        (root / "dags" / dag_file.name).symlink_to(dag_file)
    for folder in ("config", "contracts"):
        (root / folder).symlink_to(project_root() / folder)
    return root


@pytest.fixture
def airflow_env(c360_env, airflow_metadata_url, ingest_project, monkeypatch) -> dict[str, str]:
    """c360_env plus the session's Airflow metadata database, the ingest DAGs, and fast
    retries and pokes."""
    env = {
        **c360_env,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_metadata_url,
        "C360_PROJECT_DIR": str(ingest_project),
        **FAST_RUNS,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env

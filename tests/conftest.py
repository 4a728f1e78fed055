"""Shared fixtures: a real, throwaway PostgreSQL cluster for the whole test session.

It is started the same way `c360 up` starts the embedded one (as the `postgres`
user when we run as root), in a temporary folder, on a free port, without fsync.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from c360.local.postgres import EmbeddedPostgres, free_port
from tests.airflow_fixtures import (  # noqa: F401
    airflow_env,
    airflow_home,
    airflow_metadata_url,
    ingest_project,
    warehouse_schema_airflow_env,
)
from tests.smtp_sink import smtp_inbox, smtp_server  # noqa: F401


def dsn_as(dsn: str, user: str, password: str) -> str:
    """The same server and database, logged in as another role."""
    parts = conninfo_to_dict(dsn)
    parts.update(user=user, password=password)
    return make_conninfo(**parts)


@pytest.fixture(scope="session")
def pg() -> Iterator[EmbeddedPostgres]:
    root = Path(tempfile.mkdtemp(prefix="c360-test-pg-"))
    root.chmod(0o755)  # the postgres user must reach it
    server = EmbeddedPostgres(root=root / "pg", port=free_port(), durable=False)
    server.up(databases=())
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def new_database(pg: EmbeddedPostgres) -> Iterator[callable]:
    """A factory of empty databases, each dropped after the test: new_database() -> DSN."""
    created: list[str] = []

    def make(prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        pg.create_database(name)
        created.append(name)
        return pg.dsn(name)

    yield make
    for name in created:
        pg.drop_database(name)


@pytest.fixture(scope="module")
def module_databases(pg: EmbeddedPostgres, request) -> Iterator[tuple[str, str]]:
    """An empty warehouse and finance database shared by a module's tests, dropped after
    them: (warehouse DSN, finance DSN)."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    names = (f"{module}_warehouse", f"{module}_finance")
    for name in names:
        pg.create_database(name)
    yield pg.dsn(names[0]), pg.dsn(names[1])
    for name in names:
        pg.drop_database(name)


@pytest.fixture
def warehouse_dsn(new_database) -> str:
    """An empty warehouse database."""
    return new_database("warehouse")


@pytest.fixture
def finance_dsn(new_database) -> str:
    """An empty database standing in for the finance (billing) source."""
    return new_database("finance")


@pytest.fixture
def c360_env(monkeypatch, tmp_path, warehouse_dsn, finance_dsn) -> dict[str, str]:
    """Environment pointing c360 at throwaway databases and a temporary landing zone."""
    env = {
        "C360_HOME": str(tmp_path / "home"),
        "C360_LANDING_DIR": str(tmp_path / "landing"),
        "C360_WAREHOUSE_DSN": warehouse_dsn,
        "C360_FINANCE_DSN": finance_dsn,
        # an external warehouse needs the secret of the privacy suppression list
        "C360_PRIVACY_KEY": "test-privacy-key-of-this-session",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env

"""The environment every Airflow process of c360 runs in, derived from the C360_* settings.

Airflow reads its whole configuration from `AIRFLOW__<SECTION>__<KEY>` variables
and its connections from `AIRFLOW_CONN_<ID>` URIs, so `c360 run`, `c360 airflow`
and the tests hand Airflow one environment built here, and nothing about
hosts or secrets lives in code or in a committed airflow.cfg. Airflow writes
its own generated secrets (JWT, API) into `airflow.cfg` under AIRFLOW_HOME,
which is inside .c360/ and never committed.

Metadata database:

- embedded mode (no C360_WAREHOUSE_DSN): the `airflow` database of the embedded
  PostgreSQL that `c360 up` creates;
- external warehouse: a user-set AIRFLOW__DATABASE__SQL_ALCHEMY_CONN wins; without
  one, Airflow keeps its metadata in the schema `airflow` of the warehouse
  database, so nothing beyond the warehouse is needed. The schema is chosen with
  the connection's search_path, not Airflow's `sql_alchemy_schema`, which leaves
  `alembic_version` behind in `public`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from c360.config import ConfigError, Settings, dsn_to_uri
from c360.local.processes import run_to_end
from c360.orchestration.connections import FINANCE_CONN_ID, WAREHOUSE_CONN_ID, connection_env_var
from c360.quality.alerts import smtp_connection

TIMEZONE = "Europe/Amsterdam"
# psycopg 3 is the project's driver; Airflow 3 and SQLAlchemy 2 support it directly.
SQLALCHEMY_SCHEME = "postgresql+psycopg"
EXTERNAL_METADATA_SCHEMA = "airflow"
SEARCH_PATH_OPTION = f"-csearch_path={EXTERNAL_METADATA_SCHEMA}"
MIGRATED_MARKER = ".c360-db-migrated"


def metadata_settings(settings: Settings, base: dict[str, str]) -> dict[str, str]:
    """The `[database]` options: which database and schema hold Airflow's metadata."""
    user_conn = base.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    if user_conn:
        return {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": user_conn}
    if settings.embedded:
        return {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": dsn_to_uri(
                settings.embedded_dsn("airflow"), SQLALCHEMY_SCHEME
            )
        }
    url = dsn_to_uri(settings.warehouse_dsn, SQLALCHEMY_SCHEME)
    return {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"{url}?{urlencode({'options': SEARCH_PATH_OPTION})}"
    }


def airflow_environment(settings: Settings, base: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ (or `base`) plus everything Airflow needs to run c360's DAGs."""
    env = dict(os.environ if base is None else base)
    env.update({
        "AIRFLOW_HOME": str(settings.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_dir),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": TIMEZONE,
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        # The DAG files import the package; a slow first import must not count as a hang.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        # Tasks see the same C360_* settings that c360 resolved (C360_HOME may be a default).
        "C360_HOME": str(settings.home),
        "C360_LANDING_DIR": str(settings.landing_dir),
        "C360_PROJECT_DIR": str(settings.project_dir),
        # No usage telemetry: the warehouse may run where only the package index is reachable.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        # cosmos' partial-parse and profile caches, per c360 home: /tmp/cosmos is shared by every project.
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.home / "cosmos"),
        "DO_NOT_TRACK": "true",
    })
    env.update(metadata_settings(settings, env))
    env[connection_env_var(WAREHOUSE_CONN_ID)] = connection_json(settings.warehouse_dsn)
    env.update(smtp_connection(env))
    try:
        env[connection_env_var(FINANCE_CONN_ID)] = connection_json(settings.finance_dsn)
    except ConfigError:
        # Without a finance source only the finance DAG fails, with Airflow's
        # "conn_id isn't defined"; `c360 airflow dags list` etc. still work.
        env.pop(connection_env_var(FINANCE_CONN_ID), None)
    return env


def airflow_executable() -> str:
    """`airflow` from the same virtualenv as this interpreter, so PATH does not matter."""
    candidate = Path(sys.executable).with_name("airflow")
    return str(candidate) if candidate.exists() else "airflow"


def airflow_version() -> str:
    from importlib.metadata import version

    return version("apache-airflow-core")


def _migration_key(env: dict[str, str]) -> str:
    text = f"{env['AIRFLOW__DATABASE__SQL_ALCHEMY_CONN']}|{airflow_version()}"
    return hashlib.sha256(text.encode()).hexdigest()


def connection_json(dsn: str) -> str:
    """An Airflow connection in Airflow's JSON form: a socket folder as host, no password, and
    every other libpq parameter (as extras) need no encoding there."""
    parts = conninfo_to_dict(dsn)
    connection = {
        "conn_type": "postgres",
        "host": parts.pop("host", None) or "127.0.0.1",
        "port": int(parts.pop("port", None) or 5432),
        "login": parts.pop("user", None),
        "password": parts.pop("password", None),
        "schema": parts.pop("dbname", None),
        "extra": {key: str(value) for key, value in parts.items()},
    }
    return json.dumps({k: v for k, v in connection.items() if v not in (None, {})})


def libpq_dsn(sqlalchemy_url: str) -> str | None:
    """A DSN psycopg accepts for a PostgreSQL SQLAlchemy URL, else None."""
    scheme, sep, rest = sqlalchemy_url.partition("://")
    if not sep or not scheme.startswith("postgresql"):
        return None
    return "postgresql://" + rest


def _metadata_present(env: dict[str, str]) -> bool:
    """True when the metadata database still holds Airflow's tables (it may have been dropped)."""
    dsn = libpq_dsn(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    if dsn is None:
        return True  # not PostgreSQL: trust the marker
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            row = conn.execute("select to_regclass('alembic_version') is not null").fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0])


def _create_schema(env: dict[str, str]) -> None:
    """Create the schema that the metadata URL's search_path names, if it names one."""
    dsn = libpq_dsn(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    options = str(conninfo_to_dict(dsn).get("options") or "") if dsn else ""
    match = re.search(r"search_path=(\w+)", options)
    if match:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("create schema if not exists {}").format(sql.Identifier(match.group(1)))
            )


class AirflowSetupError(RuntimeError):
    """Airflow's metadata database could not be prepared; the message holds Airflow's output."""


def ensure_metadata(env: dict[str, str]) -> bool:
    """Run `airflow db migrate` unless this database and Airflow version were migrated already.

    Returns True when a migration ran. The marker in AIRFLOW_HOME is keyed on the
    metadata URL and the Airflow version, and is only trusted while the database
    still has Airflow's tables, so a second `c360 run` skips the slow migrate.
    """
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    marker = home / MIGRATED_MARKER
    key = _migration_key(env)
    # one line per metadata database migrated from this home (tests switch between a few)
    migrated = set(marker.read_text().split()) if marker.exists() else set()
    if key in migrated and _metadata_present(env):
        return False
    _create_schema(env)
    result = subprocess.run(
        [airflow_executable(), "db", "migrate"], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise AirflowSetupError(
            f"`airflow db migrate` failed (exit {result.returncode}); is Airflow's metadata "
            "database reachable? (`c360 up` starts the embedded PostgreSQL)\n"
            f"{(result.stderr or result.stdout).strip()[-4000:]}"
        )
    marker.write_text("".join(f"{k}\n" for k in sorted(migrated | {key})))
    return True


def run_airflow(settings: Settings, args: list[str]) -> int:
    """`c360 airflow <args>`: Airflow's own CLI with c360's environment; returns its exit code."""
    env = airflow_environment(settings)
    ensure_metadata(env)
    return run_to_end([airflow_executable(), *args], env=env)

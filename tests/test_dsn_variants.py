"""Warehouse DSNs as users write them, each through `c360 run` of the real build DAG.

Through a Unix socket without a password (libpq finds it in a `.pgpass` file,
as it would with trust, peer or client certificates), and with a password too
short for Airflow's log masking (it warns on standard output) beside `sslmode`
and other libpq parameters. Each night builds with cosmos, runs the
privacy step, the gate and publishes, logged in as the DSN says.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from typer.testing import CliRunner

from c360.cli import app
from c360.orchestration.pipeline import BUILD_DAG_ID
from c360.orchestration.publishing import PUBLISHED_TABLES
from c360.warehouse.bootstrap import bootstrap
from tests.test_gate_build_dag import build_project, stand_in_candidates  # noqa: F401 (a fixture)
from tests.test_quality_gate import BUSINESS_DATE, _marts, _raw_layer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


def role_dsn(dsn: str, role: str, password: str, **parameters: str) -> str:
    """`dsn`'s server and database, as a new superuser `role` (it bootstraps the warehouse)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login superuser password {}").format(
            sql.Identifier(role), sql.Literal(password)))
    parts = conninfo_to_dict(dsn)
    return make_conninfo(**{**parts, "user": role, "password": password, **parameters})


def without_password_through_a_socket(socket_dir: Path) -> Callable[[str, Path, object], str]:
    """The DSN through the server's Unix socket, without its password, which a `.pgpass`
    file gives libpq."""
    def dsn_of(dsn: str, tmp_path: Path, monkeypatch) -> str:
        parts = conninfo_to_dict(role_dsn(dsn, "dsn_pgpass", "kept-in-pgpass-only",
                                          host=str(socket_dir)))
        pgpass = tmp_path / "pgpass"
        pgpass.write_text(f"*:{parts['port']}:{parts['dbname']}:dsn_pgpass:kept-in-pgpass-only\n")
        pgpass.chmod(0o600)
        monkeypatch.setenv("PGPASSFILE", str(pgpass))
        del parts["password"]
        return make_conninfo(**parts)
    return dsn_of


def short_password_with_parameters(dsn: str, tmp_path: Path, monkeypatch) -> str:
    """A password too short for Airflow's log masking, and libpq parameters."""
    return role_dsn(dsn, "dsn_short", "abc", sslmode="disable", connect_timeout="10",
                    application_name="c360 dsn test")


@pytest.mark.parametrize("variant", ["without_password_through_a_socket",
                                     "short_password_with_parameters"])
def test_a_night_builds_and_publishes_with_the_dsn_as_written(
    variant, airflow_env, build_project, pg, tmp_path, monkeypatch  # noqa: F811
):
    make = (without_password_through_a_socket(pg.socket_dir)
            if variant == "without_password_through_a_socket" else globals()[variant])
    dsn = make(airflow_env["C360_WAREHOUSE_DSN"], tmp_path, monkeypatch)
    monkeypatch.setenv("C360_WAREHOUSE_DSN", dsn)
    monkeypatch.setenv("C360_PROJECT_DIR", str(build_project))
    bootstrap(dsn)
    with psycopg.connect(dsn) as conn:
        _raw_layer(conn, BUSINESS_DATE)
        _marts(conn)
        stand_in_candidates(conn)

    run = CliRunner().invoke(app, ["run", "--start", str(BUSINESS_DATE), "--end", str(BUSINESS_DATE),
                                   "--dag", BUILD_DAG_ID])

    assert run.exit_code == 0, run.output
    with psycopg.connect(dsn) as conn:
        published = conn.execute("select relation from ops.publications where business_date = %s "
                                 "order by 1", (BUSINESS_DATE,)).fetchall()
    assert published == sorted((f"published.{table}",) for table in PUBLISHED_TABLES)

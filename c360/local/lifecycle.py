"""Bringing the local system up: embedded PostgreSQL, warehouse schemas, Airflow metadata."""

from __future__ import annotations

import psycopg

from c360.config import Settings
from c360.local.postgres import EmbeddedPostgres
from c360.warehouse.bootstrap import bootstrap
from c360.warehouse.roles import (
    BI_ROLE,
    LOOKUP_PASSWORD_FILE,
    LOOKUP_ROLE,
    ensure_bi_reader,
    ensure_lookup_role,
    lookup_password,
)


def embedded_server(settings: Settings) -> EmbeddedPostgres:
    return EmbeddedPostgres(root=settings.pg_dir, port=settings.pg_port)


def start_everything(settings: Settings) -> list[str]:
    """What `c360 up` does; idempotent. Returns lines that say what happened."""
    report = []
    if settings.embedded:
        server = embedded_server(settings)
        was_running = server.is_running()
        server.up()
        server.ensure_secret("bi_reader_password")
        server.ensure_secret(LOOKUP_PASSWORD_FILE)
        state = "already running" if was_running else "started"
        report.append(f"embedded PostgreSQL {state} on 127.0.0.1:{settings.pg_port} ({server.data_dir})")
    else:
        report.append("C360_WAREHOUSE_DSN is set: using that server, nothing started")
    bootstrap(settings.warehouse_dsn)
    report.append("warehouse schemas ready")
    password = settings.bi_reader_password
    ensure_bi_reader(settings.warehouse_dsn, password, settings.bi_statement_timeout)
    if password:
        report.append(f"role {BI_ROLE} can log in and reads schema published only")
    else:
        report.append(f"role {BI_ROLE} exists but cannot log in: set C360_BI_READER_PASSWORD")
    if not ensure_lookup_role(settings.warehouse_dsn, lookup_password(settings)):
        report.append(f"role {LOOKUP_ROLE} not made (this owner may not create roles): the lookup "
                      "API needs it, made by your DBA like bi_reader")
    elif not lookup_password(settings):
        report.append(f"role {LOOKUP_ROLE} exists but cannot log in: set C360_LOOKUP_PASSWORD")
    return report


def _answers(dsn: str) -> str:
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            version = conn.execute("show server_version").fetchone()[0]
        return f"yes (PostgreSQL {version})"
    except psycopg.Error as exc:
        return f"no: {str(exc).strip().splitlines()[0]}"


def describe(settings: Settings) -> list[tuple[str, str]]:
    rows = [("project", str(settings.project_dir)), ("landing zone", str(settings.landing_dir))]
    if settings.embedded:
        server = embedded_server(settings)
        rows.append(("embedded PostgreSQL", str(server.data_dir)))
        rows.append(("port", str(settings.pg_port)))
        running = server.is_running()
        rows.append(("running", "yes" if running else "no (run `c360 up`)"))
        if running:
            rows.append(("warehouse answers", _answers(settings.warehouse_dsn)))
    else:
        rows.append(("warehouse", "C360_WAREHOUSE_DSN (external)"))
        rows.append(("warehouse answers", _answers(settings.warehouse_dsn)))
    rows.append(("airflow home", str(settings.airflow_home)))
    return rows

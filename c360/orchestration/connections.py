"""Turn Airflow connections into libpq DSNs for the package's loaders.

Inside Airflow, hosts and secrets come from connections (`c360_warehouse`,
`c360_finance`, `c360_smtp`); `c360 run` derives them from the C360_* variables, a
production deployment sets them in its own secrets backend.
"""

from __future__ import annotations

from psycopg import pq
from psycopg.conninfo import make_conninfo

WAREHOUSE_CONN_ID = "c360_warehouse"
FINANCE_CONN_ID = "c360_finance"
SMTP_CONN_ID = "c360_smtp"  # alerts are mailed through it (c360/quality/alerts.py)


def connection_env_var(conn_id: str) -> str:
    """The environment variable Airflow reads a connection from."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def connection_dsn(conn_id: str) -> str:
    """The DSN of an Airflow connection; call it inside a task, not at DAG parse time."""
    from airflow.sdk import Connection

    conn = Connection.get(conn_id)
    extras = {k: str(v) for k, v in conn.extra_dejson.items() if k in libpq_keywords()}
    return make_conninfo(
        host=conn.host or "127.0.0.1",
        port=conn.port or 5432,
        user=conn.login or None,
        password=conn.password or None,  # none: libpq's other ways in (.pgpass, trust, certificates)
        dbname=conn.schema or "",
        **extras,
    )


def libpq_keywords() -> set[str]:
    """The parameters libpq takes; a connection's other extras are for other clients."""
    return {option.keyword.decode() for option in pq.Conninfo.get_defaults()}

"""Turn Airflow connections into libpq DSNs for the package's loaders.

Inside Airflow, hosts and secrets come from connections (`c360_warehouse`,
`c360_finance`); `c360 run` derives them from the C360_* variables, a
production deployment sets them in its own secrets backend.
"""

from __future__ import annotations

from psycopg.conninfo import make_conninfo

WAREHOUSE_CONN_ID = "c360_warehouse"
FINANCE_CONN_ID = "c360_finance"


def connection_dsn(conn_id: str) -> str:
    """The DSN of an Airflow connection; call it inside a task, not at DAG parse time."""
    from airflow.sdk import Connection

    conn = Connection.get(conn_id)
    return make_conninfo(
        host=conn.host or "127.0.0.1",
        port=conn.port or 5432,
        user=conn.login or "",
        password=conn.password or "",
        dbname=conn.schema or "",
    )

"""DSNs become URIs (Airflow connections, SQLAlchemy) and dbt settings without losing TLS options."""

from __future__ import annotations

from airflow.models.connection import Connection
from psycopg.conninfo import conninfo_to_dict

from c360.config import dsn_parts, dsn_to_uri


def test_uri_keeps_address_credentials_and_escapes_them():
    uri = dsn_to_uri("host=db.example port=6543 user=etl password='p@ss word' dbname=warehouse")
    parsed = conninfo_to_dict(uri)
    assert parsed == {"host": "db.example", "port": "6543", "user": "etl",
                      "password": "p@ss word", "dbname": "warehouse"}


def test_uri_carries_sslmode_and_other_options_to_airflow_connections():
    dsn = "host=db.example user=etl dbname=warehouse sslmode=verify-full sslrootcert=/etc/ca.pem"
    uri = dsn_to_uri(dsn)
    assert conninfo_to_dict(uri)["sslmode"] == "verify-full"
    connection = Connection(conn_id="c360_warehouse", uri=uri)
    assert connection.extra_dejson == {"sslmode": "verify-full", "sslrootcert": "/etc/ca.pem"}
    assert connection.host == "db.example"


def test_dbt_gets_the_sslmode_of_the_dsn_or_libpqs_default():
    assert dsn_parts("host=h dbname=d sslmode=require")["sslmode"] == "require"
    assert dsn_parts("host=h dbname=d")["sslmode"] == "prefer"


def test_a_socket_folder_goes_in_the_query_and_comes_back_whole():
    uri = dsn_to_uri("host=/var/run/PostgreSQL port=5433 user=etl dbname=dwh", "postgresql+psycopg")
    assert uri == "postgresql+psycopg://etl@/dwh?host=%2Fvar%2Frun%2FPostgreSQL&port=5433"
    assert conninfo_to_dict(uri.replace("+psycopg", "")) == {
        "user": "etl", "dbname": "dwh", "host": "/var/run/PostgreSQL", "port": "5433"}

"""Create every schema and table the warehouse needs, idempotently.

Pointed at an empty database, the first run creates what it needs
(docs/contracts.md). The SQL files beside this module are applied in name
order, with the raw tables of the silos of delimited files, made from their
contracts, right after 010_raw.sql; each is written to be safe to apply again,
so a re-run is a no-op.
"""

from __future__ import annotations

from importlib import resources

import psycopg

from c360.ingest.contracts import raw_file_tables_sql

SQL_PACKAGE = "c360.warehouse.sql"
# Sorts right after 010_raw.sql, which steps the tables of earlier layouts aside first.
RAW_FILE_TABLES = "010_raw_files (contracts/*.yml)"
# One advisory lock key for schema changes, so parallel loaders never race on DDL.
BOOTSTRAP_LOCK = 3_600_360


def schema_files() -> list[tuple[str, str]]:
    """(name, SQL) of every schema step, in the order they apply."""
    folder = resources.files(SQL_PACKAGE)
    files = [(p.name, p.read_text(encoding="utf-8")) for p in folder.iterdir() if p.name.endswith(".sql")]
    return sorted([*files, (RAW_FILE_TABLES, raw_file_tables_sql())])


def bootstrap(dsn: str) -> list[str]:
    """Apply every schema file in one transaction; returns the names applied."""
    applied = []
    with psycopg.connect(dsn) as conn:
        conn.execute("select pg_advisory_xact_lock(%s)", (BOOTSTRAP_LOCK,))
        for name, text in schema_files():
            conn.execute(text)
            applied.append(name)
    return applied

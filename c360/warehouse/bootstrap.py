"""Create every schema and table the warehouse needs, idempotently.

Pointed at an empty database, the first run creates what it needs
(contracts/SOURCES.md). The SQL files beside this module are applied in name
order; each is written to be safe to apply again, so a re-run is a no-op.
"""

from __future__ import annotations

from importlib import resources

import psycopg

SQL_PACKAGE = "c360.warehouse.sql"
# One advisory lock key for schema changes, so parallel loaders never race on DDL.
BOOTSTRAP_LOCK = 3_600_360


def schema_files() -> list[tuple[str, str]]:
    folder = resources.files(SQL_PACKAGE)
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(p.name, p.read_text(encoding="utf-8")) for p in files]


def bootstrap(dsn: str) -> list[str]:
    """Apply every schema file in one transaction; returns the names applied."""
    applied = []
    with psycopg.connect(dsn) as conn:
        conn.execute("select pg_advisory_xact_lock(%s)", (BOOTSTRAP_LOCK,))
        for name, text in schema_files():
            conn.execute(text)
            applied.append(name)
    return applied

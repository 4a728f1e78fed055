"""The raw tables are partitioned by business date (010_raw.sql); a date's load makes its partitions.

Rows are written to the parent table, which routes them to the date's partition,
and carry their load metadata (FILE_METADATA) like any other column.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import psycopg
from psycopg import sql

# The load metadata that every row of one file or extract shares (010_raw.sql).
FILE_METADATA = ("_batch_id", "_business_date", "_source_name")


def partition_name(parent: str, business_date: date) -> str:
    """schema.table_YYYYMMDD; 013_raw_partitions.sql names the partitions it creates the same."""
    return f"{parent}_{business_date:%Y%m%d}"


def date_partitions(conn: psycopg.Connection, parents: Iterable[str], business_date: date) -> None:
    """Make the date's partition of each parent where it is missing, in the caller's transaction."""
    for parent in sorted(set(parents)):
        name = partition_name(parent, business_date)
        # two loads of one date would both find the partition missing: the second waits
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (name,))
        conn.execute(sql.SQL("create table if not exists {} partition of {} for values in ({})")
                     .format(sql.Identifier(*name.split(".")), sql.Identifier(*parent.split(".")),
                             sql.Literal(business_date)))

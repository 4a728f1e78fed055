"""The raw tables are partitioned by business date (010_raw.sql); a date's load makes its partitions.

Rows are written to the parent table, which routes them to the date's partition,
and carry their load metadata (FILE_METADATA) like any other column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class DatePartition:
    """The date's partition of a raw table, as one load of files writes it."""

    parent: str  # schema.table
    business_date: date
    # made by this load as a table of its own and attached when the load ends: PostgreSQL
    # builds its indexes then, in one sort, instead of row by row, and COPY may FREEZE it
    fresh: bool

    @property
    def name(self) -> str:
        return partition_name(self.parent, self.business_date)

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(*self.name.split("."))


def open_date_partitions(conn: psycopg.Connection, parents: Iterable[str],
                         business_date: date) -> dict[str, DatePartition]:
    """The date's partition of each parent; a missing one is made but not attached yet
    (`attach_fresh` does that), in the caller's transaction."""
    partitions = {}
    for parent in sorted(set(parents)):
        name = partition_name(parent, business_date)
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (name,))
        fresh = conn.execute("select to_regclass(%s) is null", (name,)).fetchone()[0]
        partition = partitions[parent] = DatePartition(parent, business_date, fresh)
        if fresh:
            # the CHECK lets ATTACH PARTITION skip the scan that would prove it
            conn.execute(sql.SQL("create table {} (like {} including defaults, check "
                                 "(_business_date = {}))").format(
                partition.identifier, sql.Identifier(*parent.split(".")),
                sql.Literal(business_date)))
    return partitions


def attach_fresh(conn: psycopg.Connection, partitions: Iterable[DatePartition]) -> None:
    for partition in partitions:
        if partition.fresh:
            # the file metadata a load may have set as defaults (files.copy_into)
            conn.execute(sql.SQL("alter table {} {}").format(partition.identifier, sql.SQL(", ").join(
                sql.SQL("alter column {} drop default").format(sql.Identifier(name))
                for name in FILE_METADATA)))
            conn.execute(sql.SQL("alter table {} attach partition {} for values in ({})").format(
                sql.Identifier(*partition.parent.split(".")), partition.identifier,
                sql.Literal(partition.business_date)))

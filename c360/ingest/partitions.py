"""The raw file tables are partitioned by business date; a date's load writes its partition.

A date loaded for the first time gets its partition created inside the load's
transaction, as a table of its own that is attached to the parent at the end. Such
a table can be written with COPY ... FREEZE (rows stored already frozen, so no
later vacuum has to rewrite them), and on a server with wal_level = minimal (the
embedded cluster, c360/postgres.py) its rows are not written to the WAL at all:
the file is synced at commit instead. Its indexes are built once, in bulk, when it
is attached, not row by row. Readers of the parent see the date only when the load
commits, and are not blocked meanwhile (ATTACH PARTITION takes a lock that lets
them read). A later load of the same date (a file delivered again, or late) writes
the attached partition like any table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import psycopg
from psycopg import sql


def partition_name(parent: str, business_date: date) -> str:
    """schema.table_YYYYMMDD; 013_raw_partitions.sql names the partitions it creates the same."""
    return f"{parent}_{business_date:%Y%m%d}"


@dataclass
class DatePartition:
    parent: str  # schema.table
    business_date: date
    fresh: bool  # created in this transaction, attached at its end
    # keys stored in a fresh partition, which the parent does not show before it is
    # attached (web: event ids of the date's earlier files)
    keys: set[str] = field(default_factory=set)

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(*partition_name(self.parent, self.business_date).split("."))

    @property
    def parent_identifier(self) -> sql.Identifier:
        return sql.Identifier(*self.parent.split("."))

    @property
    def copy_options(self) -> sql.Composable:
        """Options for a COPY into it: FREEZE is allowed only into a table of this transaction."""
        return sql.SQL("freeze") if self.fresh else sql.SQL("freeze false")


def _open(conn: psycopg.Connection, parent: str, business_date: date) -> DatePartition:
    partition = DatePartition(parent, business_date, fresh=False)
    name = partition_name(parent, business_date)
    if conn.execute("select to_regclass(%s)", (name,)).fetchone()[0] is not None:
        return partition
    # the CHECK lets ATTACH PARTITION skip the scan that would prove it
    conn.execute(sql.SQL(
        "create table {part} (like {parent} including defaults, "
        "check (_business_date = {day}))"
    ).format(part=partition.identifier, parent=partition.parent_identifier,
             day=sql.Literal(business_date)))
    partition.fresh = True
    return partition


@contextmanager
def date_partitions(
    conn: psycopg.Connection, parents: Iterable[str], business_date: date
) -> Iterator[dict[str, DatePartition]]:
    """The date's partition of each parent, made if missing; fresh ones are attached on exit.

    Runs inside the caller's transaction, which must not be a savepoint (FREEZE needs
    the table to be made in the very (sub)transaction that copies into it).
    """
    # one load of a table's date at a time: a second waits, then finds the partition
    for parent in sorted(set(parents)):
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))",
                     (partition_name(parent, business_date),))
    partitions = {parent: _open(conn, parent, business_date) for parent in sorted(set(parents))}
    yield partitions
    for partition in partitions.values():
        if partition.fresh:
            conn.execute(sql.SQL("alter table {parent} attach partition {part} for values in ({day})")
                         .format(parent=partition.parent_identifier, part=partition.identifier,
                                 day=sql.Literal(partition.business_date)))

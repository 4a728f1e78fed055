"""The raw tables are partitioned by business date; a date's load writes its partition.

A date loaded for the first time gets its partition created inside the load's
transaction, as a table of its own that is attached to the parent at the end. Such
a table can be written with COPY ... FREEZE (rows stored already frozen, so no
later vacuum has to rewrite them), and on a server with wal_level = minimal (the
embedded cluster, c360/local/postgres.py) its rows are not written to the WAL at all:
the file is synced at commit instead. Its indexes are built once, in bulk, when it
is attached, not row by row. While it is not attached, the load metadata that is
the same for every row of a file (_batch_id, _business_date, _source_name) is the
partition's column default, set per file, so COPY sends and PostgreSQL parses
only the delivered fields and the line number; the defaults are dropped before
it is attached, so no later write can take them by mistake. Readers of the
parent see the date only when the load commits, and are not blocked meanwhile
(ATTACH PARTITION takes a lock that lets them read). A later load of the same
date (a file delivered again, or late) writes the attached partition like any
table, its rows carrying the metadata.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

if TYPE_CHECKING:  # numba, which it imports, costs a load of another silo 0.6 s
    from c360.ingest.key_set import KeySet

# The load metadata that every row of one file shares (010_raw.sql).
FILE_METADATA = ("_batch_id", "_business_date", "_source_name")


def copy_text_escape(value: str) -> str:
    """A value as a field of COPY's text format."""
    return (value.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


@dataclass(frozen=True)
class CopyTarget:
    """A COPY of one file's rows: each row is its delivered fields and its line number,
    then the load metadata where the rows must carry it (`metadata`; empty where the
    partition's column defaults give it)."""

    statement: sql.Composed
    metadata: tuple[int, date, str] | tuple[()]

    def with_row_ends(self, copy_text: bytes) -> bytes:
        """COPY text whose lines end in a line feed, the metadata put before each."""
        if not self.metadata:
            return copy_text
        row_end = "".join(f"\t{copy_text_escape(str(value))}" for value in self.metadata)
        return copy_text.replace(b"\n", f"{row_end}\n".encode())


def partition_name(parent: str, business_date: date) -> str:
    """schema.table_YYYYMMDD; 013_raw_partitions.sql names the partitions it creates the same."""
    return f"{parent}_{business_date:%Y%m%d}"


@dataclass
class DatePartition:
    parent: str  # schema.table
    business_date: date
    fresh: bool  # created in this transaction, attached at its end
    # keys stored in a fresh partition, which the parent does not show before it is
    # attached (web: event ids of the date's earlier files, and of the days just before
    # it), kept by the load that needs them
    keys: KeySet | None = None

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

    def copy_target(
        self, conn: psycopg.Connection, columns: Sequence[str], ledger_id: int, source_name: str,
        null: str | None = None, binary: bool = False,
    ) -> CopyTarget:
        """COPY of one file's rows into this partition, `columns` then _line_number, in
        text or in binary format.

        A fresh partition gets the file's metadata as column defaults (see the module's
        docstring); an attached one, which other loads write too, gets it in every row.
        `null` is the text that stands for NULL, when not COPY's own.
        """
        copied = (*columns, "_line_number")
        metadata = ()
        if self.fresh:
            self.take_load_metadata(conn, ledger_id, source_name)
        else:
            copied += FILE_METADATA
            metadata = (ledger_id, self.business_date, source_name)
        options = [self.copy_options]
        if null is not None:
            options.append(sql.SQL("null {}").format(sql.Literal(null)))
        if binary:
            options.append(sql.SQL("format binary"))
        statement = sql.SQL("copy {} ({}) from stdin ({})").format(
            self.identifier, sql.SQL(", ").join(map(sql.Identifier, copied)),
            sql.SQL(", ").join(options))
        return CopyTarget(statement, metadata)

    def take_load_metadata(self, conn: psycopg.Connection, ledger_id: int, source_name: str) -> None:
        """Have the rows COPY writes next into this fresh partition get the load metadata of
        one file (or extract) from the column defaults."""
        metadata = (ledger_id, self.business_date, source_name)
        conn.execute(sql.SQL("alter table {} {}").format(self.identifier, sql.SQL(", ").join(
            sql.SQL("alter column {} set default {}").format(sql.Identifier(name),
                                                             sql.Literal(value))
            for name, value in zip(FILE_METADATA, metadata, strict=True))))

    def attach(self, conn: psycopg.Connection) -> None:
        """Attach a fresh partition, without the defaults its loads set."""
        conn.execute(sql.SQL("alter table {} {}").format(self.identifier, sql.SQL(", ").join(
            sql.SQL("alter column {} drop default").format(sql.Identifier(name))
            for name in FILE_METADATA)))
        conn.execute(sql.SQL("alter table {parent} attach partition {part} for values in ({day})")
                     .format(parent=self.parent_identifier, part=self.identifier,
                             day=sql.Literal(self.business_date)))


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
            partition.attach(conn)

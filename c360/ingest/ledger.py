"""The load ledger and the quarantine: one ledger row per file or extract, refused rows beside it.

Every function here runs inside the caller's transaction, so a file's rows, its
quarantine rows and its ledger row commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

from c360.ingest.report import FileLoad


@dataclass(frozen=True)
class LedgerEntry:
    """The ledger row of one source: which batch id it has and what was last recorded."""

    ledger_id: int
    content_hash: str | None
    status: str
    message: str | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int


@dataclass(frozen=True)
class Source:
    """Where rows came from: the key of the ledger and of the quarantine."""

    source_system: str
    business_date: date
    source_name: str


@dataclass(frozen=True)
class RefusedRow:
    line_number: int | None  # None when the whole file is refused
    raw_record: str | None
    reason: str


def lock_entry(conn: psycopg.Connection, source: Source) -> LedgerEntry | None:
    """The source's ledger row, locked until commit so two loads of one file queue up."""
    row = conn.execute(
        """select ledger_id, content_hash, status, message,
                  rows_read, rows_loaded, rows_quarantined, rows_duplicate
           from ops.load_ledger
           where source_system = %s and business_date = %s and source_name = %s
           for update""",
        (source.source_system, source.business_date, source.source_name),
    ).fetchone()
    return LedgerEntry(*row) if row else None


def open_entry(conn: psycopg.Connection, source: Source) -> int:
    """Create the source's ledger row (zero counts until `record`) and return its batch id."""
    row = conn.execute(
        """insert into ops.load_ledger
               (source_system, business_date, source_name, rows_read, rows_loaded,
                rows_quarantined, status)
           values (%s, %s, %s, 0, 0, 0, 'loaded')
           returning ledger_id""",
        (source.source_system, source.business_date, source.source_name),
    ).fetchone()
    return row[0]


def discard_previous_load(
    conn: psycopg.Connection, source: Source, ledger_id: int, raw_tables: Iterable[str]
) -> None:
    """Remove what an earlier delivery of this source loaded and quarantined."""
    for table in raw_tables:  # the date picks the one partition that can hold the batch
        conn.execute(
            sql.SQL("delete from {} where _batch_id = %s and _business_date = %s").format(
                sql.Identifier(*table.split("."))),
            (ledger_id, source.business_date),
        )
    conn.execute(
        """delete from ops.quarantine
           where source_system = %s and business_date = %s and source_name = %s""",
        (source.source_system, source.business_date, source.source_name),
    )


def quarantine(conn: psycopg.Connection, source: Source, rows: Iterable[RefusedRow]) -> None:
    with conn.cursor().copy(
        """copy ops.quarantine
               (source_system, business_date, source_name, line_number, raw_record, reason)
           from stdin"""
    ) as copy:
        for row in rows:
            copy.write_row((
                source.source_system, source.business_date, source.source_name,
                row.line_number, row.raw_record, row.reason,
            ))


def record(
    conn: psycopg.Connection, ledger_id: int, load: FileLoad, content_hash: str | None
) -> None:
    conn.execute(
        """update ops.load_ledger
           set content_hash = %s, rows_read = %s, rows_loaded = %s, rows_quarantined = %s,
               rows_duplicate = %s, status = %s, message = %s, loaded_at = now()
           where ledger_id = %s""",
        (
            content_hash, load.rows_read, load.rows_loaded, load.rows_quarantined,
            load.rows_duplicate, load.status, load.message, ledger_id,
        ),
    )


def count_duplicates(conn: psycopg.Connection, ledger_id: int, rows_duplicate: int) -> None:
    conn.execute("update ops.load_ledger set rows_duplicate = %s where ledger_id = %s",
                 (rows_duplicate, ledger_id))

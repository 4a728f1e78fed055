"""Finance: incremental extraction from the billing database (contracts/SOURCES.md, section 1).

The run for business date D takes, per table, every row whose `updated_at` lies
after the table's watermark (the highest `updated_at` earlier runs took) and
before the end of D in Europe/Amsterdam; the first run takes the whole history up
to the end of D. Rows stream with COPY, in PostgreSQL's binary format, from the
source into raw_finance, which keeps every version of a row once: its key is
(id, updated_at). raw_finance is partitioned by business date like the file
silos' tables (c360/ingest/partitions.py). Above a watermark, and on a first
run into an empty table, every version is new, so the COPY goes straight into
raw_finance. After a watermark reset or a watermark moved back by hand,
raw_finance can hold versions above the watermark: then they land in a temporary
table first, and only versions that no date of raw_finance holds are kept.

Re-running D takes nothing new unless rows before the end of D were committed
after the last run, and then takes only those. The watermark never moves back:
re-running an older date after later dates takes nothing (each version stays
under the business date of the run that first took it), and its ledger rows stay
as they were. To re-extract history deliberately, delete the table's row in
raw_finance.extract_watermarks; versions already loaded are then counted as
duplicates, not loaded twice.

The three tables are read in one repeatable-read snapshot of the source, so an
invoice never arrives without the account version it was written against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg import sql

from c360.config import dsn_parts
from c360.ingest import ledger
from c360.ingest.ledger import RefusedRow, Source
from c360.ingest.partitions import FILE_METADATA, date_partitions
from c360.ingest.report import LOADED, QUARANTINED, UNCHANGED, FileLoad, SiloLoadReport
from c360.orchestration.dates import AMSTERDAM, end_of_business_date
from c360.warehouse.bootstrap import bootstrap

SOURCE_SYSTEM = "finance"
SOURCE_SCHEMA = "billing"
CONNECT_TIMEOUT_SECONDS = 15
RELAY_BYTES = 1 << 20  # COPY data sent to the warehouse at a time


class FinanceUnreachable(ConnectionError):
    """The billing database cannot be reached; the task should be retried later."""


@dataclass(frozen=True)
class BillingTable:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, the warehouse's type for it)

    @property
    def source_name(self) -> str:
        return f"{SOURCE_SCHEMA}.{self.name}"

    @property
    def raw_parent(self) -> str:
        return f"raw_finance.{self.name}"

    @property
    def raw_table(self) -> sql.Composable:
        return sql.Identifier("raw_finance", self.name)

    @property
    def key(self) -> str:
        return self.columns[0][0]


TABLES = (
    BillingTable("accounts", (
        ("account_id", "text"), ("first_name", "text"), ("last_name", "text"),
        ("email", "text"), ("phone", "text"), ("street", "text"), ("house_number", "text"),
        ("postal_code", "text"), ("city", "text"), ("country_code", "char(2)"),
        ("date_of_birth", "date"), ("status", "text"), ("created_at", "timestamptz"),
        ("updated_at", "timestamptz"),
    )),
    BillingTable("invoices", (
        ("invoice_id", "text"), ("account_id", "text"), ("issued_on", "date"),
        ("due_on", "date"), ("product_line", "text"), ("amount_excl_vat", "numeric(12,2)"),
        ("vat_amount", "numeric(12,2)"), ("currency", "char(3)"), ("status", "text"),
        ("updated_at", "timestamptz"),
    )),
    BillingTable("payments", (
        ("payment_id", "text"), ("invoice_id", "text"), ("paid_at", "timestamptz"),
        ("amount", "numeric(12,2)"), ("method", "text"), ("updated_at", "timestamptz"),
    )),
)


def _describe(dsn: str) -> str:
    parts = dsn_parts(dsn)
    return f"{parts['host']}:{parts['port']}/{parts['dbname']}"


def connect_source(finance_dsn: str) -> psycopg.Connection:
    try:
        conn = psycopg.connect(finance_dsn, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    except psycopg.OperationalError as exc:
        raise FinanceUnreachable(
            f"the finance database at {_describe(finance_dsn)} cannot be reached: "
            f"{str(exc).strip()}"
        ) from exc
    conn.read_only = True
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


def extract_business_date(
    finance_dsn: str, warehouse_dsn: str, business_date: date
) -> SiloLoadReport:
    """Extract what billing changed up to the end of `business_date` into raw_finance."""
    bootstrap(warehouse_dsn)
    report = SiloLoadReport(SOURCE_SYSTEM, business_date)
    until = end_of_business_date(business_date)
    source_conn = connect_source(finance_dsn)
    try:
        with source_conn, psycopg.connect(warehouse_dsn) as warehouse, source_conn.transaction():
            # the landing table of a first run's whole history stays in memory
            warehouse.execute("set temp_buffers = '256MB'")
            warehouse.commit()
            for table in TABLES:
                report.files.append(
                    _extract_table(source_conn, warehouse, table, business_date, until)
                )
    except psycopg.OperationalError as exc:
        if not source_conn.broken:  # the warehouse failed, not the source
            raise
        raise FinanceUnreachable(
            f"the connection to the finance database at {_describe(finance_dsn)} was lost: "
            f"{str(exc).strip()}"
        ) from exc
    return report


def _missing_columns(source_conn: psycopg.Connection, table: BillingTable) -> list[str]:
    present = {
        row[0] for row in source_conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s",
            (SOURCE_SCHEMA, table.name),
        )
    }
    return [name for name, _ in table.columns if name not in present]


def _extract_table(
    source_conn: psycopg.Connection,
    warehouse: psycopg.Connection,
    table: BillingTable,
    business_date: date,
    until: datetime,
) -> FileLoad:
    source = Source(SOURCE_SYSTEM, business_date, table.source_name)
    with warehouse.transaction():
        previous = ledger.lock_entry(warehouse, source)
        ledger_id = previous.ledger_id if previous else ledger.open_entry(warehouse, source)
        before = previous or ledger.LedgerEntry(ledger_id, None, LOADED, None, 0, 0, 0, 0)

        missing = _missing_columns(source_conn, table)
        if missing:
            reason = (f"{table.source_name} lacks required column(s): {', '.join(missing)}"
                      if len(missing) < len(table.columns)
                      else f"{table.source_name} does not exist or shows no columns")
            ledger.discard_previous_load(warehouse, source, ledger_id, raw_tables=())
            ledger.quarantine(warehouse, source, [RefusedRow(None, None, reason)])
            load = _file_load(source, before, 0, 0, QUARANTINED, reason)
            ledger.record(warehouse, ledger_id, load, None)
            return load

        watermark = warehouse.execute(
            "select high_watermark from raw_finance.extract_watermarks "
            "where source_table = %s for update",
            (table.source_name,),
        ).fetchone()
        date_partitions(warehouse, [table.raw_parent], business_date)
        read, inserted = _copy_rows(source_conn, warehouse, table, source, ledger_id,
                                    watermark[0] if watermark else None, until)
        if previous is not None and read == 0 and previous.status == LOADED:
            return _file_load(source, before, 0, 0, UNCHANGED, None)
        load = _file_load(source, before, read, inserted, LOADED, None)
        ledger.record(warehouse, ledger_id, load, None)
        return load


def _file_load(
    source: Source, before: ledger.LedgerEntry, read: int, inserted: int, status: str,
    message: str | None,
) -> FileLoad:
    """The ledger's totals for this table and date after adding this run's rows."""
    return FileLoad(
        source.source_system, source.business_date, source.source_name,
        before.rows_read + read, before.rows_loaded + read, before.rows_quarantined, status,
        message, before.rows_duplicate + read - inserted, before.ledger_id,
    )


def _copy_rows(
    source_conn: psycopg.Connection,
    warehouse: psycopg.Connection,
    table: BillingTable,
    source: Source,
    ledger_id: int,
    watermark: datetime | None,
    until: datetime,
) -> tuple[int, int]:
    """Stream the table's new versions into raw_finance; (rows read, rows new to raw)."""
    # casts pin the binary format to the warehouse's types, whatever the source declares;
    # the load metadata rides along in every row
    select_list = sql.SQL("{}, {}::bigint, {}::date, {}::text").format(
        sql.SQL(", ").join(sql.SQL("{}::{}").format(sql.Identifier(name), sql.SQL(type_))
                           for name, type_ in table.columns),
        sql.Literal(ledger_id), sql.Literal(source.business_date), sql.Literal(source.source_name))
    window = sql.SQL("updated_at < {until}").format(until=sql.Literal(until))
    if watermark is not None:
        window = sql.SQL("{} and updated_at > {}").format(window, sql.Literal(watermark))
    copy_out = sql.SQL("copy (select {cols} from {table} where {window}) to stdout (format binary)"
                       ).format(cols=select_list, table=sql.Identifier(SOURCE_SCHEMA, table.name),
                                window=window)
    columns = sql.SQL(", ").join(map(sql.Identifier, [name for name, _ in table.columns]
                                     + list(FILE_METADATA)))
    if not _raw_holds_versions_above(warehouse, table, watermark):
        read = _copy_straight_in(source_conn, warehouse, table, source, copy_out, columns, window)
        return read, read
    return _copy_through_landing(source_conn, warehouse, table, source, copy_out, columns)


def _relay(out: psycopg.Copy, into: psycopg.Copy) -> None:
    """Pass the source's COPY data on to the warehouse's, in blocks of about RELAY_BYTES:
    the source sends a message per row, and psycopg sends every write on its own."""
    pending = bytearray()
    for data in out:
        pending += data
        if len(pending) >= RELAY_BYTES:
            into.write(bytes(pending))
            pending.clear()
    into.write(bytes(pending))


def _raw_holds_versions_above(
    warehouse: psycopg.Connection, table: BillingTable, watermark: datetime | None
) -> bool:
    """Whether a version newer than the watermark (any, without one) is already in raw_finance.

    A date's partition holds versions updated before that date ended in Amsterdam, so
    one newer than the watermark can only be in the partitions of the watermark's date
    and later: only those are read (on a nightly run, yesterday's changes)."""
    if watermark is None:
        newer = sql.SQL("true")
    else:
        newer = sql.SQL("_business_date >= {} and updated_at > {}").format(
            sql.Literal(watermark.astimezone(AMSTERDAM).date()), sql.Literal(watermark))
    query = sql.SQL("select exists (select from {} where {})").format(table.raw_table, newer)
    return warehouse.execute(query).fetchone()[0]


def _copy_straight_in(
    source_conn: psycopg.Connection,
    warehouse: psycopg.Connection,
    table: BillingTable,
    source: Source,
    copy_out: sql.Composable,
    columns: sql.Composable,
    window: sql.Composable,
) -> int:
    """COPY the versions straight into raw_finance, when every one of them is new to it.

    That holds when raw_finance has no version above the watermark (every version
    at or below it was taken before), and on a first run into an empty table: then
    no version can meet one already loaded, and COPY needs no landing table. The
    watermark moves to the highest updated_at taken, read in the same snapshot of
    the source.
    """
    copy_in = sql.SQL("copy {raw} ({cols}) from stdin (format binary)").format(
        raw=table.raw_table, cols=columns)
    cursor = warehouse.cursor()
    with source_conn.cursor().copy(copy_out) as out, cursor.copy(copy_in) as into:
        _relay(out, into)
    read = cursor.rowcount
    if read > 0:
        highest = source_conn.execute(
            sql.SQL("select max(updated_at) from {table} where {window}").format(
                table=sql.Identifier(SOURCE_SCHEMA, table.name), window=window)
        ).fetchone()[0]
        _move_watermark(warehouse, table, highest, source.business_date)
    return read


def _copy_through_landing(
    source_conn: psycopg.Connection,
    warehouse: psycopg.Connection,
    table: BillingTable,
    source: Source,
    copy_out: sql.Composable,
    columns: sql.Composable,
) -> tuple[int, int]:
    """After a watermark reset: land the versions in a temporary table first, then keep
    those that no date of raw_finance holds yet (the key index is per date, so it
    cannot refuse them)."""
    warehouse.execute(sql.SQL(
        "create temporary table finance_landing (like {raw} including defaults) on commit drop"
    ).format(raw=table.raw_table))
    copy_in = sql.SQL("copy finance_landing ({cols}) from stdin (format binary)").format(
        cols=columns
    )
    with (
        source_conn.cursor().copy(copy_out) as out,
        warehouse.cursor().copy(copy_in) as into,
    ):
        _relay(out, into)
    read = warehouse.execute("select count(*) from finance_landing").fetchone()[0]
    inserted = warehouse.execute(sql.SQL(
        "insert into {raw} ({cols}) select {cols} from finance_landing landed"
        " where not exists (select from {raw} kept"
        " where kept.{key} = landed.{key} and kept.updated_at = landed.updated_at)"
    ).format(cols=columns, raw=table.raw_table, key=sql.Identifier(table.key))).rowcount
    highest = warehouse.execute("select max(updated_at) from finance_landing").fetchone()[0]
    if read > 0:
        _move_watermark(warehouse, table, highest, source.business_date)
    warehouse.execute("drop table finance_landing")
    return read, inserted


def _move_watermark(
    warehouse: psycopg.Connection, table: BillingTable, highest: datetime, business_date: date
) -> None:
    warehouse.execute(
        """insert into raw_finance.extract_watermarks (source_table, high_watermark, business_date)
           values (%s, %s, %s)
           on conflict (source_table) do update
           set high_watermark = greatest(extract_watermarks.high_watermark,
                                         excluded.high_watermark),
               business_date = excluded.business_date, updated_at = now()""",
        (table.source_name, highest, business_date),
    )

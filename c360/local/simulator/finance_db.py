"""The simulated billing database: the contract's `billing` schema, loaded with COPY.

New rows go in with COPY; changed rows are copied into a temporary table and
applied with one UPDATE per table, as a billing system updates in place.

The schema is made from contracts/finance.yml, as its tables and then its keys:
on the first day, keys are added after the bulk load, which is several times
faster than checking them row by row, and the result is the same schema (same
columns, constraints and constraint names; a test compares it with the tables
and keys made in one go).
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from c360.ingest.contracts import billing_keys_sql, billing_tables_sql
from c360.local.simulator.finance import (
    ACCOUNT_COLUMNS,
    INVOICE_COLUMNS,
    PAYMENT_COLUMNS,
    TIMESTAMP_COLUMNS,
    FinanceDay,
)


def billing_exists(conn: psycopg.Connection) -> bool:
    return conn.execute("select to_regclass('billing.accounts') is not null").fetchone()[0]


def billing_has_rows(conn: psycopg.Connection) -> bool:
    return billing_exists(conn) and bool(
        conn.execute("select exists (select from billing.accounts)").fetchone()[0])


def create_billing(conn: psycopg.Connection) -> None:
    if not billing_exists(conn):
        conn.execute(billing_tables_sql())
        conn.execute(billing_keys_sql())


def drop_billing(conn: psycopg.Connection) -> None:
    conn.execute("drop schema if exists billing cascade")


def _csv_text(frame: pd.DataFrame) -> str:
    """COPY's CSV: timestamps in ISO UTC, dates as YYYY-MM-DD, NULL as an empty field."""
    columns = []
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            raw = values.to_numpy()
            text = np.datetime_as_string(raw, unit="us" if name in TIMESTAMP_COLUMNS else "D",
                                         timezone="UTC" if name in TIMESTAMP_COLUMNS else "naive")
            columns.append(np.where(np.isnat(raw), None, text).tolist())
        else:
            columns.append(values.astype(object).where(values.notna(), None).tolist())
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(zip(*columns, strict=True))
    return buffer.getvalue()


def copy_rows(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.SQL(table), sql.SQL(", ").join(map(sql.Identifier, frame.columns)))
    with conn.cursor().copy(statement) as copy:
        copy.write(_csv_text(frame))


def update_rows(conn: psycopg.Connection, table: str, key: str, frame: pd.DataFrame) -> None:
    """Apply changed rows in place: COPY them into a temporary table, then one UPDATE."""
    if frame.empty:
        return
    conn.execute(sql.SQL(
        "CREATE TEMP TABLE changes ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
            sql.SQL(", ").join(map(sql.Identifier, frame.columns)), sql.SQL(table)))
    copy_rows(conn, "changes", frame)
    assignments = sql.SQL(", ").join(
        sql.SQL("{0} = c.{0}").format(sql.Identifier(c)) for c in frame.columns if c != key)
    conn.execute(sql.SQL("UPDATE {} t SET {} FROM changes c WHERE t.{} = c.{}").format(
        sql.SQL(table), assignments, sql.Identifier(key), sql.Identifier(key)))
    conn.execute("DROP TABLE changes")


def already_loaded(conn: psycopg.Connection, changes: FinanceDay) -> bool:
    """True when a run that stopped after committing this day's billing changes (but before
    saving its state) already inserted them: every id the simulator makes is deterministic."""
    for table, key, frame in (("accounts", "account_id", changes.new_accounts),
                              ("invoices", "invoice_id", changes.new_invoices),
                              ("payments", "payment_id", changes.new_payments)):
        if not frame.empty:
            query = sql.SQL("select exists (select from billing.{} where {} = %s)").format(
                sql.Identifier(table), sql.Identifier(key))
            return bool(conn.execute(query, (frame[key].iloc[-1],)).fetchone()[0])
    return False  # a day of updates only: applying them again changes nothing


def load_finance_day(dsn: str, changes: FinanceDay) -> None:
    """One transaction per business day: the billing system's state at the end of that day."""
    with psycopg.connect(dsn) as conn:
        first_load = not billing_exists(conn)
        if first_load:
            conn.execute(billing_tables_sql())
        elif already_loaded(conn, changes):
            return
        copy_rows(conn, "billing.accounts", changes.new_accounts[ACCOUNT_COLUMNS])
        update_rows(conn, "billing.accounts", "account_id", changes.account_updates)
        copy_rows(conn, "billing.invoices", changes.new_invoices[INVOICE_COLUMNS])
        update_rows(conn, "billing.invoices", "invoice_id", changes.invoice_updates)
        copy_rows(conn, "billing.payments", changes.new_payments[PAYMENT_COLUMNS])
        if first_load:
            conn.execute(billing_keys_sql())

"""Finance extraction: watermark increments, re-runs, an unreachable or broken source."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import psycopg
import pytest

from c360.ingest import finance
from c360.ingest.finance import FinanceUnreachable
from tests.conftest import free_port
from tests.ingest_helpers import DAY, create_billing, fetch, ledger, quarantine, raw_snapshot

NEXT_DAY = DAY + timedelta(days=1)
TABLES = ("billing.accounts", "billing.invoices", "billing.payments")


def account(conn: psycopg.Connection, account_id: str, updated_at: str, **changes) -> None:
    row = {"account_id": account_id, "first_name": "Anna", "last_name": "van der Berg",
           "email": "anna@example.nl", "country_code": "NL", "date_of_birth": "1980-02-29",
           "status": "active", "created_at": "2026-01-05 10:00+01", "updated_at": updated_at}
    row.update(changes)
    conn.execute(
        f"insert into billing.accounts ({', '.join(row)}) values ({', '.join(['%s'] * len(row))}) "
        "on conflict (account_id) do update set "
        + ", ".join(f"{k} = excluded.{k}" for k in row if k != "account_id"),
        list(row.values()),
    )


def invoice(conn, invoice_id: str, account_id: str, updated_at: str) -> None:
    conn.execute(
        "insert into billing.invoices values (%s, %s, '2026-11-01', '2026-11-15', 'heating', "
        "-100.50, -21.11, 'EUR', 'credited', %s)", (invoice_id, account_id, updated_at))


def payment(conn, payment_id: str, invoice_id: str, updated_at: str) -> None:
    conn.execute("insert into billing.payments values (%s, %s, %s, 12.34, 'ideal', %s)",
                 (payment_id, invoice_id, updated_at, updated_at))


@pytest.fixture
def billing(finance_dsn) -> psycopg.Connection:
    create_billing(finance_dsn)
    with psycopg.connect(finance_dsn, autocommit=True) as conn:
        account(conn, "FA0000001", "2025-03-01 08:00+01")
        account(conn, "FA0000002", "2026-11-21 23:59:59+01")  # the last second of DAY
        account(conn, "FA0000003", "2026-11-22 00:00:00+01")  # the first of the next day
        invoice(conn, "INV-1", "FA0000001", "2026-11-21 12:00+01")
        payment(conn, "PAY-1", "INV-1", "2026-11-21 13:00+01")
        yield conn


def extract(finance_dsn, warehouse_dsn, day=DAY):
    return finance.extract_business_date(finance_dsn, warehouse_dsn, day)


def counts(report) -> list[tuple]:
    return [(f.source_name, f.rows_read, f.rows_loaded, f.status) for f in report.files]


def test_first_run_takes_the_history_up_to_the_end_of_the_amsterdam_day(
    billing, finance_dsn, warehouse_dsn
):
    report = extract(finance_dsn, warehouse_dsn)
    assert counts(report) == [(TABLES[0], 2, 2, "loaded"), (TABLES[1], 1, 1, "loaded"),
                              (TABLES[2], 1, 1, "loaded")]
    assert fetch(warehouse_dsn, "select account_id, last_name, date_of_birth::text, _source_name "
                                "from raw_finance.accounts order by 1") == [
        ("FA0000001", "van der Berg", "1980-02-29", "billing.accounts"),
        ("FA0000002", "van der Berg", "1980-02-29", "billing.accounts")]
    assert fetch(warehouse_dsn, "select amount_excl_vat::text, currency "
                                "from raw_finance.invoices") == [("-100.50", "EUR")]
    assert fetch(warehouse_dsn, "select source_table, high_watermark = "
                                "'2026-11-21 23:59:59+01'::timestamptz from "
                                "raw_finance.extract_watermarks order by 1")[0] == (
        "billing.accounts", True)
    assert [row[1:] for row in ledger(warehouse_dsn, "finance")] == [(2, 2, 0, 0, "loaded"),
                                                                     (1, 1, 0, 0, "loaded"),
                                                                     (1, 1, 0, 0, "loaded")]


def test_next_run_takes_only_new_versions_and_reruns_change_nothing(
    billing, finance_dsn, warehouse_dsn
):
    extract(finance_dsn, warehouse_dsn)
    account(billing, "FA0000001", "2026-11-22 09:00+01", status="closed")  # updated in place
    invoice(billing, "INV-2", "FA0000003", "2026-11-22 10:00+01")
    report = extract(finance_dsn, warehouse_dsn, NEXT_DAY)
    assert counts(report) == [(TABLES[0], 2, 2, "loaded"), (TABLES[1], 1, 1, "loaded"),
                              (TABLES[2], 0, 0, "loaded")]
    assert fetch(warehouse_dsn, "select account_id, status, _business_date::text "
                                "from raw_finance.accounts order by 1, updated_at") == [
        ("FA0000001", "active", "2026-11-21"), ("FA0000001", "closed", "2026-11-22"),
        ("FA0000002", "active", "2026-11-21"), ("FA0000003", "active", "2026-11-22")]
    state = (raw_snapshot(warehouse_dsn, "raw_finance.accounts"),
             raw_snapshot(warehouse_dsn, "raw_finance.invoices"), ledger(warehouse_dsn, "finance"))

    rerun = extract(finance_dsn, warehouse_dsn, NEXT_DAY)
    assert [f.status for f in rerun.files] == ["unchanged"] * 3
    assert [(f.rows_read, f.rows_loaded) for f in rerun.files] == [(2, 2), (1, 1), (0, 0)]
    older = extract(finance_dsn, warehouse_dsn, DAY)  # an older date after a later one
    assert [f.status for f in older.files] == ["unchanged"] * 3
    assert (raw_snapshot(warehouse_dsn, "raw_finance.accounts"),
            raw_snapshot(warehouse_dsn, "raw_finance.invoices"),
            ledger(warehouse_dsn, "finance")) == state
    assert len(ledger(warehouse_dsn, "finance")) == 6  # one row per table and date


def test_a_rerun_that_finds_new_versions_of_its_date_adds_them_with_their_load_metadata(
    billing, finance_dsn, warehouse_dsn
):
    account(billing, "FA0000002", "2026-11-21 12:00+01")  # the watermark stops at noon
    extract(finance_dsn, warehouse_dsn)  # a new partition: the metadata comes from defaults
    account(billing, "FA0000004", "2026-11-21 18:00+01")  # changed later that day
    [accounts, *_] = extract(finance_dsn, warehouse_dsn).files  # into the partition it made
    assert (accounts.rows_read, accounts.rows_loaded, accounts.status) == (3, 3, "loaded")
    rows = fetch(warehouse_dsn, "select account_id, _batch_id, _business_date::text, _source_name "
                                "from raw_finance.accounts order by 1")
    assert [row[0] for row in rows] == ["FA0000001", "FA0000002", "FA0000004"]
    assert {row[1:] for row in rows} == {(accounts.ledger_id, str(DAY), "billing.accounts")}


def test_a_reset_watermark_re_extracts_without_loading_versions_twice(
    billing, finance_dsn, warehouse_dsn
):
    extract(finance_dsn, warehouse_dsn)
    with psycopg.connect(warehouse_dsn) as conn:
        conn.execute("delete from raw_finance.extract_watermarks")
    [accounts, *_] = extract(finance_dsn, warehouse_dsn).files
    assert (accounts.rows_read, accounts.rows_loaded, accounts.rows_duplicate) == (4, 4, 2)
    assert fetch(warehouse_dsn, "select count(*) from raw_finance.accounts") == [(2,)]


def test_after_a_reset_the_later_dates_re_extract_without_loading_versions_twice(
    billing, finance_dsn, warehouse_dsn
):
    extract(finance_dsn, warehouse_dsn)
    account(billing, "FA0000001", "2026-11-22 09:00+01", status="closed")
    extract(finance_dsn, warehouse_dsn, NEXT_DAY)
    state = raw_snapshot(warehouse_dsn, "raw_finance.accounts")
    with psycopg.connect(warehouse_dsn) as conn:
        conn.execute("delete from raw_finance.extract_watermarks")
    extract(finance_dsn, warehouse_dsn)  # the watermark is back at DAY; raw holds NEXT_DAY's versions
    [accounts, *_] = extract(finance_dsn, warehouse_dsn, NEXT_DAY).files
    assert accounts.status == "loaded" and accounts.rows_duplicate >= 2
    assert raw_snapshot(warehouse_dsn, "raw_finance.accounts") == state


def test_unreachable_finance_database_raises_a_clear_retryable_error(warehouse_dsn):
    dsn = f"host=127.0.0.1 port={free_port()} dbname=billing user=reader password=s3cret"
    with pytest.raises(FinanceUnreachable) as caught:
        extract(dsn, warehouse_dsn)
    message = str(caught.value)
    assert isinstance(caught.value, ConnectionError)
    assert message.startswith("the finance database at 127.0.0.1:")
    assert "cannot be reached" in message and "s3cret" not in message
    assert ledger(warehouse_dsn, "finance") == []


def test_a_table_lacking_a_contract_column_is_refused(billing, finance_dsn, warehouse_dsn):
    billing.execute("alter table billing.payments drop column method")
    report = extract(finance_dsn, warehouse_dsn)
    [failure] = report.contract_failures
    assert failure.source_name == "billing.payments"
    assert failure.message == "billing.payments lacks required column(s): method"
    assert [row[0] for row in quarantine(warehouse_dsn, "finance")] == ["billing.payments"]
    assert [f.status for f in report.files[:2]] == ["loaded", "loaded"]


def test_many_rows_are_relayed_whole(billing, finance_dsn, warehouse_dsn):
    billing.execute("""insert into billing.accounts (account_id, last_name, country_code, status,
                           created_at, updated_at)
                       select 'FA' || to_char(n, 'FM0000000'), repeat('x', n % 300), 'NL',
                              'active', '2026-01-01', '2026-11-21 10:00+01'::timestamptz
                                                      + n * interval '1 second'
                       from generate_series(10, 20009) n""")
    [accounts, *_] = extract(finance_dsn, warehouse_dsn).files
    source = billing.execute("select account_id, last_name, updated_at from billing.accounts "
                             "where updated_at < '2026-11-22 00:00+01' order by 1").fetchall()
    assert len(source) == 20_002  # the fixture's two of DAY and these
    assert (accounts.rows_read, accounts.rows_loaded) == (20_002, 20_002)
    assert fetch(warehouse_dsn, "select account_id, last_name, updated_at from raw_finance.accounts "
                                "order by 1") == source


def test_a_source_row_failing_mid_extract_fails_the_table_and_loads_none_of_it(
        billing, finance_dsn, warehouse_dsn):
    # a source that declares a column otherwise than the contract, with one bad value last
    billing.execute("alter table billing.accounts alter column date_of_birth type text")
    billing.execute("""insert into billing.accounts (account_id, country_code, status, date_of_birth,
                           created_at, updated_at)
                       select 'FA' || to_char(n, 'FM0000000'), 'NL', 'active',
                              case when n = 20009 then 'not a date' else '1980-01-01' end,
                              '2026-01-01', '2026-11-21 10:00+01'
                       from generate_series(10, 20009) n""")
    with pytest.raises(psycopg.errors.InvalidDatetimeFormat, match="not a date"):
        extract(finance_dsn, warehouse_dsn)
    assert fetch(warehouse_dsn, "select count(*) from raw_finance.accounts") == [(0,)]
    assert ledger(warehouse_dsn, "finance") == []


def test_a_source_connection_lost_mid_extract_is_a_retryable_unreachable_source(
        billing, finance_dsn, warehouse_dsn):
    billing.execute("""insert into billing.accounts (account_id, last_name, country_code, status,
                           created_at, updated_at)
                       select 'FA' || to_char(n, 'FM0000000'), repeat('x', 200), 'NL', 'active',
                              '2026-01-01', '2026-11-21 10:00+01'
                       from generate_series(10, 400009) n""")
    stop = threading.Event()

    def end_the_extracts_connection() -> None:  # as a failover or a network cut would
        with psycopg.connect(finance_dsn, autocommit=True) as admin:
            while not stop.is_set():
                if admin.execute("select pg_terminate_backend(pid) from pg_stat_activity "
                                 "where datname = current_database() and query like 'copy (select %%'"
                                 ).fetchall():
                    return
                time.sleep(0.002)

    cutter = threading.Thread(target=end_the_extracts_connection)
    cutter.start()
    try:
        with pytest.raises(FinanceUnreachable, match="connection to the finance database .* was lost"):
            extract(finance_dsn, warehouse_dsn)
    finally:
        stop.set()
        cutter.join()
    assert fetch(warehouse_dsn, "select count(*) from raw_finance.accounts") == [(0,)]
    assert ledger(warehouse_dsn, "finance") == []

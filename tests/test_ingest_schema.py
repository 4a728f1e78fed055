"""The raw layer's layout: date partitions, no _batch_id index, earlier schemas migrated."""

from __future__ import annotations

import uuid
from datetime import timedelta

import psycopg
import pytest

from c360.ingest import web
from c360.ingest.contract_files import file_silo
from c360.warehouse.bootstrap import bootstrap
from tests.ingest_helpers import DAY, assert_balanced, fetch, write_delimited, write_jsonl_gz

privacy = file_silo("privacy")
store = file_silo("store")
POS_LINES = store.dataset("pos_lines")
REQUESTS = privacy.dataset("requests")


def web_event(n: int) -> dict:
    return {"event_id": str(uuid.UUID(int=n)), "event_type": "login",
            "occurred_at": "2026-11-21T09:00:00Z"}

FILE_TABLES = ("raw_contact_center.interactions", "raw_web.events", "raw_store.pos_lines",
               "raw_store.loyalty_members", "raw_privacy.requests")
# what earlier versions of 010_raw.sql created: a btree per table on _batch_id, then a BRIN index
EARLIER_INDEXES = {"btree": "{}_batch_idx", "brin": "{}_batch_brin"}


def batch_indexes(dsn: str) -> list[tuple[str, str, str]]:
    """(table, index, access method) of every index on a file table's _batch_id."""
    return fetch(dsn, """
        select i.indrelid::regclass::text, c.relname, am.amname
        from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
        where i.indrelid = any(%s::regclass[]) and pg_get_indexdef(i.indexrelid) like '%%_batch_id%%'
        order by 1, 2""", (list(FILE_TABLES),))


def test_no_index_on_batch_id_and_bootstrap_is_idempotent(warehouse_dsn):
    bootstrap(warehouse_dsn)
    assert batch_indexes(warehouse_dsn) == []
    bootstrap(warehouse_dsn)
    assert batch_indexes(warehouse_dsn) == []


@pytest.mark.parametrize("method", sorted(EARLIER_INDEXES))
def test_a_warehouse_with_earlier_batch_indexes_is_migrated(warehouse_dsn, method):
    bootstrap(warehouse_dsn)
    with psycopg.connect(warehouse_dsn) as conn:  # as an earlier schema left it
        for table in FILE_TABLES:
            name = EARLIER_INDEXES[method].format(table.split(".")[1])
            conn.execute(f"create index {name} on {table} using {method} (_batch_id)")
    assert [method_ for _, _, method_ in batch_indexes(warehouse_dsn)] == [method] * len(FILE_TABLES)
    bootstrap(warehouse_dsn)
    assert batch_indexes(warehouse_dsn) == []


def partitions_of(dsn: str, parent: str) -> list[tuple[str, str]]:
    """(partition, its bound) of a partitioned raw table."""
    return fetch(dsn, """
        select c.oid::regclass::text, pg_get_expr(c.relpartbound, c.oid)
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = %s::regclass order by 1""", (parent,))


def test_a_date_loads_into_its_own_partition(warehouse_dsn, tmp_path):
    for day in (DAY, DAY + timedelta(days=1)):
        write_delimited(tmp_path / f"privacy/{day}/requests.csv", REQUESTS.columns,
                        [("R1", "2026-11-21T10:00:00+01:00", "access", "a@example.nl", "", "", "")])
        privacy.load_business_date(warehouse_dsn, tmp_path, day)
    assert partitions_of(warehouse_dsn, "raw_privacy.requests") == [
        ("raw_privacy.requests_20261121", "FOR VALUES IN ('2026-11-21')"),
        ("raw_privacy.requests_20261122", "FOR VALUES IN ('2026-11-22')")]
    assert fetch(warehouse_dsn, "select tableoid::regclass::text, _business_date from raw_privacy.requests "
                                "order by 2") == [("raw_privacy.requests_20261121", DAY),
                                                  ("raw_privacy.requests_20261122", DAY + timedelta(days=1))]


def test_the_earlier_brin_indexes_on_finance_updated_at_are_dropped(warehouse_dsn):
    bootstrap(warehouse_dsn)
    finance_tables = ("raw_finance.accounts", "raw_finance.invoices", "raw_finance.payments")
    with psycopg.connect(warehouse_dsn) as conn:  # as 014_finance_updated_at_brin.sql made them
        for table in finance_tables:
            conn.execute(f"create index {table.split('.')[1]}_updated_at_brin on {table} "
                         "using brin (updated_at)")
    indexes = """select count(*) from pg_index i join pg_class c on c.oid = i.indexrelid
                 join pg_am am on am.oid = c.relam
                 where i.indrelid = any(%s::regclass[]) and am.amname = 'brin'"""
    assert fetch(warehouse_dsn, indexes, (list(finance_tables),)) == [(3,)]
    bootstrap(warehouse_dsn)
    assert fetch(warehouse_dsn, indexes, (list(finance_tables),)) == [(0,)]


def test_a_warehouse_with_unpartitioned_raw_tables_is_migrated(warehouse_dsn):
    bootstrap(warehouse_dsn)
    with psycopg.connect(warehouse_dsn) as conn:  # as the earlier schema left it, with rows and a view
        for table in FILE_TABLES:
            schema, name = table.split(".")
            conn.execute(f"create table public.{name} (like {table} including defaults)")
            conn.execute(f"drop table {table}")
            conn.execute(f"alter table public.{name} set schema {schema}")
            conn.execute(f"create index {name}_batch_brin on {table} using brin (_batch_id)")
        conn.execute("alter table raw_web.events add primary key (event_id)")
        conn.execute("""insert into raw_web.events (event_id, event_type, occurred_at, _batch_id,
                            _business_date, _source_name, _line_number)
                        values ('e1', 'login', 'x', 1, '2026-11-20', 'f', 1),
                               ('e2', 'login', 'x', 2, '2026-11-21', 'f', 1)""")
        conn.execute("create view public.stg_events as select * from raw_web.events")
    bootstrap(warehouse_dsn)
    assert fetch(warehouse_dsn, "select tableoid::regclass::text, event_id from raw_web.events "
                                "order by 2") == [("raw_web.events_20261120", "e1"),
                                                  ("raw_web.events_20261121", "e2")]
    assert fetch(warehouse_dsn, "select count(*) from pg_class "
                                "where relname like '%%_unpartitioned'") == [(0,)]
    assert batch_indexes(warehouse_dsn) == []
    bootstrap(warehouse_dsn)  # nothing left to do
    assert len(partitions_of(warehouse_dsn, "raw_web.events")) == 2


def test_a_warehouse_with_unpartitioned_finance_tables_is_migrated(warehouse_dsn):
    bootstrap(warehouse_dsn)
    with psycopg.connect(warehouse_dsn) as conn:  # the earlier raw_finance.accounts, a view on it
        conn.execute("create table public.accounts (like raw_finance.accounts including defaults)")
        conn.execute("drop table raw_finance.accounts")
        conn.execute("alter table public.accounts set schema raw_finance")
        conn.execute("alter table raw_finance.accounts add primary key (account_id, updated_at)")
        conn.execute("""insert into raw_finance.accounts (account_id, country_code, status,
                            created_at, updated_at, _batch_id, _business_date, _source_name)
                        values ('FA1', 'NL', 'active', '2026-11-01', '2026-11-01', 1,
                                '2026-11-20', 'billing.accounts'),
                               ('FA1', 'NL', 'closed', '2026-11-01', '2026-11-21', 2,
                                '2026-11-21', 'billing.accounts')""")
        conn.execute("create view public.stg_accounts as select * from raw_finance.accounts")
    bootstrap(warehouse_dsn)
    assert fetch(warehouse_dsn, "select tableoid::regclass::text, status from raw_finance.accounts "
                                "order by updated_at") == [("raw_finance.accounts_20261120", "active"),
                                                           ("raw_finance.accounts_20261121", "closed")]
    assert fetch(warehouse_dsn, "select pg_get_constraintdef(oid) from pg_constraint "
                                "where conrelid = 'raw_finance.accounts'::regclass and contype = 'p'"
                                ) == [("PRIMARY KEY (account_id, updated_at, _business_date)",)]
    assert fetch(warehouse_dsn, "select count(*) from pg_class "
                                "where relname like '%%_unpartitioned'") == [(0,)]
    bootstrap(warehouse_dsn)  # nothing left to do
    assert len(partitions_of(warehouse_dsn, "raw_finance.accounts")) == 2


def metadata_defaults(dsn: str, table: str) -> list[tuple[str, str]]:
    """(column, default) of the load metadata columns of `table` that have a default."""
    return fetch(dsn, """
        select a.attname, pg_get_expr(d.adbin, d.adrelid)
        from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
        where d.adrelid = %s::regclass and a.attname in ('_batch_id', '_business_date', '_source_name')
        """, (table,))


def test_a_fresh_partitions_metadata_defaults_are_gone_once_attached_and_later_files_carry_it(
        warehouse_dsn, tmp_path):
    columns = POS_LINES.columns
    row = ("R1", "1", "NL-AMS-01", "2026-11-21 10:00:00", "SKU-1", "heating", "1", "9.95", "0", "",
           "card")
    write_delimited(tmp_path / f"store/{DAY}/pos_NL-AMS-01.csv", columns, [row])
    store.load_business_date(warehouse_dsn, tmp_path, DAY)  # into a fresh partition
    assert metadata_defaults(warehouse_dsn, "raw_store.pos_lines_20261121") == []
    # a late file and a changed re-delivery go into the attached partition
    write_delimited(tmp_path / f"store/{DAY}/pos_BE-GNT-02.csv", columns,
                    [(*row[:2], "BE-GNT-02", *row[3:])])
    write_delimited(tmp_path / f"store/{DAY}/pos_NL-AMS-01.csv", columns, [row, ("R2", *row[1:])])
    store.load_business_date(warehouse_dsn, tmp_path, DAY)
    assert fetch(warehouse_dsn, """
        select p._source_name, p._business_date, p.receipt_id, p._line_number
        from raw_store.pos_lines p join ops.load_ledger l on l.ledger_id = p._batch_id
        where l.source_name = p._source_name and l.business_date = p._business_date
        order by 1, 3""") == [
        (f"store/{DAY}/pos_BE-GNT-02.csv", DAY, "R1", 2),
        (f"store/{DAY}/pos_NL-AMS-01.csv", DAY, "R1", 2),
        (f"store/{DAY}/pos_NL-AMS-01.csv", DAY, "R2", 3)]
    assert_balanced(warehouse_dsn, POS_LINES.raw_table, "store")
    assert metadata_defaults(warehouse_dsn, "raw_store.pos_lines_20261121") == []


def web_keys(dsn: str) -> list[tuple[str, str, str]]:
    """(name, kind, definition) of the unique keys on raw_web.events."""
    return fetch(dsn, """
        select c.relname, case when con.oid is null then 'index' else 'constraint' end,
               pg_get_indexdef(i.indexrelid)
        from pg_index i join pg_class c on c.oid = i.indexrelid
        left join pg_constraint con on con.conindid = i.indexrelid
        where i.indrelid = 'raw_web.events'::regclass and i.indisunique""")


def test_a_warehouse_with_the_earlier_web_primary_key_is_migrated(warehouse_dsn, tmp_path):
    bootstrap(warehouse_dsn)
    with psycopg.connect(warehouse_dsn) as conn:  # as the earlier schema left it, with a date
        conn.execute("drop index raw_web.events_event_id_key")
        conn.execute("alter table raw_web.events add primary key (event_id, _business_date)")
        conn.execute("create view public.stg_events as select * from raw_web.events")
    write_jsonl_gz(tmp_path / f"web/{DAY}/events-09.jsonl.gz", [web_event(1), web_event(2)])
    web.load_business_date(warehouse_dsn, tmp_path, DAY)
    bootstrap(warehouse_dsn)
    assert web_keys(warehouse_dsn) == [(
        "events_event_id_key", "index",
        'CREATE UNIQUE INDEX events_event_id_key ON ONLY raw_web.events USING btree '
        '(event_id COLLATE "C", _business_date)')]
    # the keys of the existing partition moved too; events are still kept once
    write_jsonl_gz(tmp_path / f"web/{DAY}/events-10.jsonl.gz", [web_event(2), web_event(3)])
    [_, second] = web.load_business_date(warehouse_dsn, tmp_path, DAY).files
    assert (second.rows_loaded, second.rows_duplicate) == (2, 1)
    assert fetch(warehouse_dsn, "select count(*) from public.stg_events") == [(3,)]
    with psycopg.connect(warehouse_dsn) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("insert into raw_web.events_20261121 select * from raw_web.events_20261121 limit 1")

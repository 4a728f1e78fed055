"""The raw layer's indexes: BRIN on _batch_id, and a warehouse of the earlier schema migrated."""

from __future__ import annotations

import psycopg

from c360.warehouse.bootstrap import bootstrap
from tests.ingest_helpers import fetch

FILE_TABLES = ("raw_contact_center.interactions", "raw_web.events", "raw_store.pos_lines",
               "raw_store.loyalty_members", "raw_privacy.requests")
# what the first 010_raw.sql created: a btree per table on _batch_id
EARLIER_INDEXES = ("interactions_batch_idx", "events_batch_idx", "pos_lines_batch_idx",
                   "loyalty_members_batch_idx", "requests_batch_idx")


def batch_indexes(dsn: str) -> list[tuple[str, str, str]]:
    """(table, index, access method) of every index on a file table's _batch_id."""
    return fetch(dsn, """
        select i.indrelid::regclass::text, c.relname, am.amname
        from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
        where i.indrelid = any(%s::regclass[]) and pg_get_indexdef(i.indexrelid) like '%%_batch_id%%'
        order by 1, 2""", (list(FILE_TABLES),))


def test_batch_indexes_are_brin_and_bootstrap_is_idempotent(warehouse_dsn):
    bootstrap(warehouse_dsn)
    first = batch_indexes(warehouse_dsn)
    assert [(table, method) for table, _, method in first] == [
        (table, "brin") for table in sorted(FILE_TABLES)]
    bootstrap(warehouse_dsn)
    assert batch_indexes(warehouse_dsn) == first


def test_a_warehouse_with_the_earlier_btree_indexes_is_migrated(warehouse_dsn):
    bootstrap(warehouse_dsn)
    with psycopg.connect(warehouse_dsn) as conn:  # as the earlier schema left it
        for table, index in zip(FILE_TABLES, EARLIER_INDEXES, strict=True):
            conn.execute(f"drop index if exists {table.split('.')[0]}.{index.replace('_idx', '_brin')}")
            conn.execute(f"create index {index} on {table} (_batch_id)")
    bootstrap(warehouse_dsn)
    assert [(table, method) for table, _, method in batch_indexes(warehouse_dsn)] == [
        (table, "brin") for table in sorted(FILE_TABLES)]

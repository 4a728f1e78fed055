"""Write-audit-publish and the BI role, on a real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from c360.publishing.publish import PublishError, publish
from c360.warehouse.bootstrap import bootstrap
from c360.warehouse.roles import BI_ROLE, ensure_bi_reader
from tests.conftest import dsn_as

BI_PASSWORD = "test-bi-reader-secret"


def candidate(dsn: str, rows: list[tuple[str, int]], table: str = "customer_360") -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute(f"drop table if exists marts.{table}")
        conn.execute(f"create table marts.{table} (customer_id text primary key, score int)")
        with conn.cursor().copy(f"copy marts.{table} from stdin") as copy:
            for row in rows:
                copy.write_row(row)


def bi_dsn(dsn: str) -> str:
    return dsn_as(dsn, BI_ROLE, BI_PASSWORD)


@pytest.fixture
def warehouse(warehouse_dsn: str) -> str:
    bootstrap(warehouse_dsn)
    ensure_bi_reader(warehouse_dsn, BI_PASSWORD)
    return warehouse_dsn


def published_rows(dsn: str, table: str = "customer_360") -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(f"select * from published.{table} order by 1").fetchall()


def test_publish_copies_candidates_and_records_the_publication(warehouse):
    candidate(warehouse, [("C1", 10), ("C2", 20)])
    result = publish(warehouse, ["customer_360"], candidate_schema="marts")
    assert [(p.relation, p.row_count) for p in result] == [("published.customer_360", 2)]
    assert published_rows(warehouse) == [("C1", 10), ("C2", 20)]
    with psycopg.connect(warehouse) as conn:
        logged = conn.execute("select relation, row_count from ops.publications").fetchall()
    assert logged == [("published.customer_360", 2)]


def test_bi_reader_reads_published_and_nothing_else(warehouse):
    candidate(warehouse, [("C1", 10)])
    publish(warehouse, ["customer_360"], candidate_schema="marts")
    with psycopg.connect(bi_dsn(warehouse)) as conn:
        assert conn.execute("select count(*) from published.customer_360").fetchone() == (1,)
    for forbidden in ("marts.customer_360", "ops.load_ledger", "raw_web.events"):
        with psycopg.connect(bi_dsn(warehouse)) as conn, pytest.raises(
            psycopg.errors.InsufficientPrivilege
        ):
            conn.execute(f"select 1 from {forbidden} limit 1")


def test_a_failed_publish_leaves_the_previous_publication_untouched(warehouse):
    candidate(warehouse, [("C1", 10)])
    candidate(warehouse, [("C1", 1)], table="customer_segments")
    publish(warehouse, ["customer_360", "customer_segments"], candidate_schema="marts")

    candidate(warehouse, [("C1", 11), ("C9", 99)])
    with psycopg.connect(warehouse) as conn:
        conn.execute("drop table marts.customer_segments")
    with pytest.raises(PublishError, match="marts.customer_segments does not exist"):
        publish(warehouse, ["customer_360", "customer_segments"], candidate_schema="marts")
    # customer_360 was replaced inside the transaction, then rolled back with it
    assert published_rows(warehouse) == [("C1", 10)]
    assert published_rows(warehouse, "customer_segments") == [("C1", 1)]


def test_views_on_published_tables_keep_working_across_publications(warehouse):
    candidate(warehouse, [("C1", 10)])
    publish(warehouse, ["customer_360"], candidate_schema="marts")
    with psycopg.connect(warehouse) as conn:
        conn.execute(
            "create view published.high_scores as select * from published.customer_360 where score > 15"
        )
    candidate(warehouse, [("C1", 10), ("C2", 20)])
    publish(warehouse, ["customer_360"], candidate_schema="marts")
    with psycopg.connect(bi_dsn(warehouse)) as conn:
        assert conn.execute("select customer_id from published.high_scores").fetchall() == [("C2",)]


def test_a_changed_candidate_shape_is_refused(warehouse):
    candidate(warehouse, [("C1", 10)])
    publish(warehouse, ["customer_360"], candidate_schema="marts")
    with psycopg.connect(warehouse) as conn:
        conn.execute("alter table marts.customer_360 add column extra text")
    with pytest.raises(PublishError, match="change of the published contract"):
        publish(warehouse, ["customer_360"], candidate_schema="marts")
    assert published_rows(warehouse) == [("C1", 10)]


def test_bi_reader_reads_tables_a_first_publish_creates_whoever_publishes(warehouse):
    """The default privileges cover tables created by the role that set them; a publisher logged
    in as another role gets its new tables readable by the grant in the publish step."""
    publisher = dsn_as(warehouse, "c360_publisher", "publisher-secret")
    for table in ("customer_360", "customer_segments"):
        candidate(warehouse, [("C1", 10), ("C2", 20)], table=table)
    with psycopg.connect(warehouse) as conn:
        conn.execute("drop role if exists c360_publisher")
        conn.execute("create role c360_publisher login password 'publisher-secret'")
        conn.execute("grant usage, create on schema published to c360_publisher")
        conn.execute("grant usage on schema marts, ops to c360_publisher")
        conn.execute("grant select on all tables in schema marts to c360_publisher")
        conn.execute("grant insert on ops.publications, ops.published_segment_sizes to c360_publisher")
        conn.execute("grant usage on all sequences in schema ops to c360_publisher")
    try:
        publish(publisher, ["customer_360", "customer_segments"], candidate_schema="marts")
        with psycopg.connect(bi_dsn(warehouse)) as conn:
            for table in ("customer_360", "customer_segments"):
                assert conn.execute(f"select count(*) from published.{table}").fetchone() == (2,)
        for forbidden in ("marts.customer_segments", "ops.publications", "ops.alerts"):
            with psycopg.connect(bi_dsn(warehouse)) as conn, pytest.raises(
                psycopg.errors.InsufficientPrivilege
            ):
                conn.execute(f"select 1 from {forbidden} limit 1")
    finally:
        with psycopg.connect(warehouse) as conn:
            conn.execute("drop owned by c360_publisher")
            conn.execute("drop role c360_publisher")


def test_bi_reader_can_change_nothing(warehouse):
    candidate(warehouse, [("C1", 10)])
    publish(warehouse, ["customer_360"], candidate_schema="marts")
    # read-only is only the sessions' default (a session may set it off): privileges hold anyway
    for statement in ("delete from published.customer_360", "create table published.mine (x int)",
                      "create table public.mine (x int)"):
        with psycopg.connect(bi_dsn(warehouse), autocommit=True) as conn, pytest.raises(
            psycopg.errors.InsufficientPrivilege
        ):
            conn.execute("set default_transaction_read_only = off")
            conn.execute(statement)


def test_bi_reader_sessions_are_read_only_and_time_out(warehouse):
    with psycopg.connect(bi_dsn(warehouse)) as conn:
        assert conn.execute("show default_transaction_read_only").fetchone() == ("on",)
        assert conn.execute("show statement_timeout").fetchone() == ("5min",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("create temporary table scratch (x int)")


def test_contact_details_beyond_activation_are_refused(warehouse):
    with psycopg.connect(warehouse) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create table marts.customer_360 (customer_id text, email text, phone text,"
                     " postal_code text)")
    with pytest.raises(PublishError, match="contact details BI must not see: phone, postal_code"):
        publish(warehouse, ["customer_360"], candidate_schema="marts")
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select to_regclass('published.customer_360')").fetchone() == (None,)
        conn.execute("alter table marts.customer_360 drop column phone, drop column postal_code")
    # the e-mail address is what a campaign reaches a segment's members by
    assert publish(warehouse, ["customer_360"], candidate_schema="marts")[0].row_count == 0


def test_each_publication_of_segments_records_their_sizes(warehouse):
    with psycopg.connect(warehouse) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create table marts.customer_segments as select * from (values ('C1', 'lapsed'),"
                     " ('C2', 'lapsed'), ('C2', 'new_customer')) as s (customer_id, segment)")
    publish(warehouse, ["customer_segments"], candidate_schema="marts")
    with psycopg.connect(warehouse) as conn:
        conn.execute("delete from marts.customer_segments where customer_id = 'C1'")
    publish(warehouse, ["customer_segments"], candidate_schema="marts")
    with psycopg.connect(warehouse) as conn:
        sizes = conn.execute(
            "select publication_id, segment, size from ops.published_segment_sizes order by 1, 2"
        ).fetchall()
        first, second = [p for (p,) in conn.execute("select publication_id from ops.publications order by 1")]
    assert sizes == [(first, "lapsed", 2), (first, "new_customer", 1),
                     (second, "lapsed", 1), (second, "new_customer", 1)]


def comments(dsn: str, schema: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "select obj_description(%s::regclass, 'pg_class'), col_description(%s::regclass, 1),"
            " col_description(%s::regclass, 2)", (f"{schema}.customer_360",) * 3).fetchall()


def test_published_tables_carry_their_candidates_comments_as_they_change(warehouse):
    candidate(warehouse, [("C1", 10)])
    with psycopg.connect(warehouse) as conn:
        conn.execute("comment on table marts.customer_360 is 'One row per customer.'")
        conn.execute("comment on column marts.customer_360.customer_id is 'The golden record''s id.'")
    publish(warehouse, ["customer_360"], candidate_schema="marts")  # creates the table
    assert comments(warehouse, "published") == [("One row per customer.", "The golden record's id.", None)]

    with psycopg.connect(warehouse) as conn:
        conn.execute("comment on column marts.customer_360.customer_id is null")
        conn.execute("comment on column marts.customer_360.score is 'Points, now described.'")
    publish(warehouse, ["customer_360"], candidate_schema="marts")  # refills it
    assert comments(warehouse, "published") == [("One row per customer.", None, "Points, now described.")]



def test_a_publisher_that_does_not_own_the_published_table_refills_it_while_descriptions_stand(warehouse):
    """COMMENT needs the table's owner; a publish that changes no description writes none."""
    with psycopg.connect(warehouse) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute("create table marts.dim_channel as select 'web' as channel")
        conn.execute("comment on column marts.dim_channel.channel is 'The channel.'")
    publish(warehouse, ["dim_channel"], candidate_schema="marts")
    with psycopg.connect(warehouse) as conn:
        conn.execute("drop role if exists c360_refiller")
        conn.execute("create role c360_refiller login password 'refiller-secret'")
        conn.execute("grant usage on schema marts, ops, published to c360_refiller")
        conn.execute("grant select on marts.dim_channel to c360_refiller")
        conn.execute("grant select, insert, delete on published.dim_channel to c360_refiller")
        conn.execute("grant insert on ops.publications to c360_refiller")
        conn.execute("grant usage on all sequences in schema ops to c360_refiller")
        conn.execute("insert into marts.dim_channel values ('store')")
    refiller = dsn_as(warehouse, "c360_refiller", "refiller-secret")
    try:
        publish(refiller, ["dim_channel"], candidate_schema="marts")
        assert published_rows(warehouse, "dim_channel") == [("store",), ("web",)]
        with psycopg.connect(warehouse) as conn:
            conn.execute("comment on column marts.dim_channel.channel is 'The channel, redefined.'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
            publish(refiller, ["dim_channel"], candidate_schema="marts")
        with psycopg.connect(warehouse) as conn:
            assert conn.execute("select col_description('published.dim_channel'::regclass, 1)"
                                ).fetchone() == ("The channel.",)
    finally:
        with psycopg.connect(warehouse) as conn:
            conn.execute("drop owned by c360_refiller")
            conn.execute("drop role c360_refiller")

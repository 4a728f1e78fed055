"""The history tables (dbt_project/models/marts/history) over hand-made nights: the 360 and
the segments stand in as plain tables in `marts`, and only the history models are built, so
each night is one short dbt run."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest

from c360.config import ConfigError, load_settings
from c360.privacy.derived import scrub_dbt_relations
from c360.privacy.person import Person
from c360.publishing.publish import publish
from c360.quality.contract import BUSINESS_DATE_SETTING
from c360.quality.suites.history import OPEN_STRETCHES, SNAPSHOT_ROWS, STRETCHES
from c360.warehouse.bootstrap import bootstrap
from tests.dbt_helpers import dbt, dbt_env, run_dbt

HISTORY = ("--select", "customer_360_daily", "segment_membership_history")
NIGHT_1 = date(2026, 3, 1)
NIGHTS = [NIGHT_1 + timedelta(days=i) for i in range(3)]
SEGMENT = "high_value_at_risk"
# who is in the segment each night: ana enters, leaves, re-enters; bo stays throughout
MEMBERS = {NIGHTS[0]: ("ana", "bo"), NIGHTS[1]: ("bo",), NIGHTS[2]: ("ana", "bo")}
CUSTOMERS = ("ana", "bo", "cy")

STAND_INS = """
create schema if not exists marts;
create table marts.customer_360 (
    customer_id text, business_date date, total_revenue numeric(14, 2), purchase_count integer,
    rfm_recency_score integer, rfm_frequency_score integer, rfm_monetary_score integer,
    predicted_clv_12m numeric(14, 2), engagement_score numeric(12, 2), complaint_count integer,
    open_issue_count integer, marketing_consent boolean, consent_state text);
create table marts.customer_segments (
    customer_id text, segment text, requires_marketing_consent boolean, business_date date);
"""


def stand_in_night(dsn: str, night: date, correction: int = 0) -> None:
    """marts.customer_360 and customer_segments as the night's build leaves them; a
    correction raises every revenue, as a re-run after fixed source data would."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("truncate marts.customer_360, marts.customer_segments")
        for n, customer in enumerate(CUSTOMERS):
            revenue = 100 * (n + 1) + night.day + correction
            conn.execute("insert into marts.customer_360 values (%s, %s, %s, %s, 3, 3, 3, 10, 1.5, 0, 0,"
                         " true, 'granted')", (customer, night, revenue, night.day))
        for customer in MEMBERS[night]:
            conn.execute("insert into marts.customer_segments values (%s, %s, true, %s)",
                         (customer, SEGMENT, night))


def build_night(env: dict[str, str], night: date, *extra_vars: str) -> None:
    stand_in_night(env["C360_WAREHOUSE_DSN"], night)
    variables = ", ".join((f"business_date: {night}", *extra_vars))
    run_dbt(env, "run", *HISTORY, "--vars", f"{{{variables}}}")


def rows(dsn: str, query: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query).fetchall()


def stretches(dsn: str) -> list[tuple]:
    return rows(dsn, "select customer_id, segment, entered_on, left_on from marts.segment_membership_history"
                     " order by 1, 3")


def snapshot_rows(dsn: str) -> list[tuple]:
    return rows(dsn, "select business_date, customer_id, total_revenue, purchase_count"
                     " from marts.customer_360_daily order by 1, 2")


@pytest.fixture(scope="module")
def three_nights(module_databases, tmp_path_factory):
    dsn = module_databases[0]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(STAND_INS)
    env = dbt_env(dsn, tmp_path_factory.mktemp("history"))
    for night in NIGHTS:
        build_night(env, night)
    return env


def test_a_customer_who_leaves_and_reenters_gets_a_second_stretch(three_nights):
    assert stretches(three_nights["C360_WAREHOUSE_DSN"]) == [
        ("ana", SEGMENT, NIGHTS[0], NIGHTS[1]),
        ("ana", SEGMENT, NIGHTS[2], None),
        ("bo", SEGMENT, NIGHTS[0], None),
    ]


def gate_rows(dsn: str, query: str, night: date) -> list[tuple]:
    """A history check's rows as the gate reads them for `night`."""
    with psycopg.connect(dsn) as conn:
        conn.execute("select set_config(%s, %s, false)", (BUSINESS_DATE_SETTING, night.isoformat()))
        return conn.execute(f"select * from ({query}) as c order by 1").fetchall()


def test_the_gate_queries_pass_tonights_history_and_catch_an_overlap(three_nights):
    dsn = three_nights["C360_WAREHOUSE_DSN"]
    assert gate_rows(dsn, SNAPSHOT_ROWS, NIGHTS[2]) == [(c, 1, True) for c in CUSTOMERS]
    assert gate_rows(dsn, STRETCHES, NIGHTS[2]) == [
        (f"ana:{SEGMENT}:{NIGHTS[0]}", 0, True), (f"ana:{SEGMENT}:{NIGHTS[2]}", 0, True),
        (f"bo:{SEGMENT}:{NIGHTS[0]}", 0, True)]
    assert gate_rows(dsn, OPEN_STRETCHES, NIGHTS[2]) == [(f"{c}:{SEGMENT}", True) for c in ("ana", "bo")]
    with psycopg.connect(dsn) as conn:  # rolled back: a stretch overlapping bo's open one
        conn.execute("insert into marts.segment_membership_history values ('bo', %s, %s, %s)",
                     (SEGMENT, NIGHTS[1], NIGHTS[2]))
        conn.execute("select set_config(%s, %s, true)", (BUSINESS_DATE_SETTING, NIGHTS[2].isoformat()))
        overlaps = conn.execute(f"select sum(overlapping_stretches) from ({STRETCHES}) as c").fetchone()[0]
        conn.rollback()
    assert overlaps == 2
    assert gate_rows(dsn, SNAPSHOT_ROWS, NIGHTS[1]) == [(c, 1, True) for c in CUSTOMERS]
    assert gate_rows(dsn, SNAPSHOT_ROWS, NIGHTS[2] + timedelta(days=1)) == [(c, 0, True) for c in CUSTOMERS]


def test_the_snapshot_has_one_row_per_customer_per_night_with_that_nights_metrics(three_nights):
    got = snapshot_rows(three_nights["C360_WAREHOUSE_DSN"])
    assert len(got) == len(NIGHTS) * len(CUSTOMERS)
    assert (NIGHTS[1], "bo", 200 + NIGHTS[1].day, NIGHTS[1].day) in got


def test_rerunning_the_latest_night_changes_nothing(three_nights):
    dsn = three_nights["C360_WAREHOUSE_DSN"]
    before = (stretches(dsn), snapshot_rows(dsn))
    build_night(three_nights, NIGHTS[2])
    assert (stretches(dsn), snapshot_rows(dsn)) == before


def test_a_backfilled_night_replaces_that_nights_snapshot_only(three_nights):
    dsn = three_nights["C360_WAREHOUSE_DSN"]
    before = snapshot_rows(dsn)
    stand_in_night(dsn, NIGHTS[1], correction=5)
    run_dbt(three_nights, "run", "--select", "customer_360_daily",
            "--vars", f"{{business_date: {NIGHTS[1]}}}")
    after = snapshot_rows(dsn)
    assert [row for row in after if row[0] != NIGHTS[1]] == [row for row in before if row[0] != NIGHTS[1]]
    assert [row[2] for row in after if row[0] == NIGHTS[1]] == [
        row[2] + 5 for row in before if row[0] == NIGHTS[1]]


def test_rebuilding_from_an_earlier_night_onwards_gives_the_same_stretches(three_nights):
    dsn = three_nights["C360_WAREHOUSE_DSN"]
    before = stretches(dsn)
    build_night(three_nights, NIGHTS[1])  # rewinds the stretches to that night
    assert stretches(dsn) == [("ana", SEGMENT, NIGHTS[0], NIGHTS[1]), ("bo", SEGMENT, NIGHTS[0], None)]
    build_night(three_nights, NIGHTS[2])
    assert stretches(dsn) == before


def test_retention_deletes_nights_and_ended_stretches_older_than_the_period(three_nights):
    dsn = three_nights["C360_WAREHOUSE_DSN"]
    with psycopg.connect(dsn, autocommit=True) as conn:  # bo's stretch as if it had ended on night one
        conn.execute("insert into marts.segment_membership_history values ('bo', 'lapsed', %s, %s),"
                     " ('bo', 'dormant', %s, %s)", (NIGHTS[0], NIGHTS[0], NIGHTS[0], NIGHTS[1]))
    # one day kept: night three keeps night two's snapshot and stretches that ended on night two
    build_night(three_nights, NIGHTS[2], "history_retention_days: 1")
    assert {row[0] for row in snapshot_rows(dsn)} == {NIGHTS[1], NIGHTS[2]}
    kept = stretches(dsn)
    assert ("bo", "dormant", NIGHTS[0], NIGHTS[1]) in kept
    assert ("bo", "lapsed", NIGHTS[0], NIGHTS[0]) not in kept


def test_erasure_removes_the_persons_history_from_candidates_and_published(three_nights):
    dsn = three_nights["C360_WAREHOUSE_DSN"]
    tables = [f"{schema}.{table}" for schema in ("marts", "published")
              for table in ("customer_360_daily", "segment_membership_history")]
    bootstrap(dsn)
    published = publish(dsn, ("customer_360_daily", "segment_membership_history"), "marts", NIGHTS[2])
    assert [p.row_count for p in published] == [len(snapshot_rows(dsn)), len(stretches(dsn))]
    with psycopg.connect(dsn, autocommit=True) as conn:
        count = "select count(*) from {} where customer_id {} 'ana'"
        kept = [conn.execute(count.format(table, "<>")).fetchone()[0] for table in tables]
        assert all(conn.execute(count.format(table, "=")).fetchone()[0] for table in tables)
        with conn.transaction():
            scrub_dbt_relations(conn, Person("ana", ("ana",), (), ()), "test-key")
        assert [conn.execute(count.format(table, "=")).fetchone()[0] for table in tables] == [0] * 4
        assert [conn.execute(count.format(table, "<>")).fetchone()[0] for table in tables] == kept


def test_a_bad_retention_period_is_refused_with_the_reason(three_nights):
    result = dbt(three_nights, "run", *HISTORY,
                 "--vars", f"{{business_date: {NIGHTS[2]}, history_retention_days: 0}}")
    assert result.returncode != 0
    assert ("var history_retention_days must be a whole number of days from 1 to 99999 (got 0)"
            in result.stdout)


def test_the_retention_setting_defaults_to_two_years_and_refuses_a_bad_value(monkeypatch):
    monkeypatch.delenv("C360_HISTORY_RETENTION_DAYS", raising=False)
    assert load_settings().history_retention_days == 730
    monkeypatch.setenv("C360_HISTORY_RETENTION_DAYS", "90")
    assert load_settings().history_retention_days == 90
    monkeypatch.setenv("C360_HISTORY_RETENTION_DAYS", "a year")
    refused = "C360_HISTORY_RETENTION_DAYS must be a whole number of days from 1 to 99999 .how long"
    with pytest.raises(ConfigError, match=refused):
        load_settings()

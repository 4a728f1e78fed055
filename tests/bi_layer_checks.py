"""The BI layer's facts and dimensions on the warehouse tests/test_dbt_360.py builds (its
`built` fixture: a simulated population, hand-made persons, one real dbt build), so they
cost queries, not a build of their own. test_dbt_360 imports these tests.

- revenue per day in the purchase fact equals the raw POS lines and web orders of that day;
- every fact key joins its dimension (the gate's own query finds nothing, and finds a
  key broken on purpose);
- the date dimension names the public holidays of a year checked by hand;
- publishing puts the BI tables in `published`, readable by bi_reader, and the example
  queries of docs/bi-layer.md run there and add up.
"""

from __future__ import annotations

import json
import re
from datetime import date

import psycopg

from c360.config import project_root
from c360.publishing.publish import NOT_FOR_BI, publish
from c360.quality.suites.bi import BI_TABLES, FACTS, keys_and_grains
from c360.warehouse.roles import ensure_bi_reader
from tests.conftest import dsn_as
from tests.dbt_helpers import run_dbt
from tests.ingest_helpers import fetch

# Revenue per business day from the raw layer as the silos delivered it: a POS line once per
# (store, receipt, line), sold_at in the store's time (NL and BE keep the same clock); a web
# order once per order id, at its first delivery.
RAW_REVENUE_PER_DAY = """
    with pos as (
        select distinct store_code, receipt_id, line_no, sold_at, quantity, unit_price, discount
        from raw_store.pos_lines
    ),
    web as (
        select distinct on (properties ->> 'order_id') occurred_at, properties ->> 'revenue' as revenue
        from raw_web.events
        where event_type = 'order_completed' and properties ->> 'order_id' is not null
        order by properties ->> 'order_id', occurred_at, event_id
    ),
    days as (
        select left(sold_at, 10)::date as day,
               quantity::int * unit_price::numeric - discount::numeric as amount
        from pos
        union all
        select (occurred_at::timestamptz at time zone 'Europe/Amsterdam')::date, revenue::numeric from web
    )
    select day, sum(amount) from days group by day order by day
"""
# Hand-checked: Easter 2027 is 28 March; 27 April 2027 is a Tuesday.
HOLIDAYS_2027 = {
    "NL": {date(2027, 1, 1): "Nieuwjaarsdag", date(2027, 3, 28): "Eerste Paasdag",
           date(2027, 3, 29): "Tweede Paasdag", date(2027, 4, 27): "Koningsdag",
           date(2027, 5, 5): "Bevrijdingsdag", date(2027, 5, 6): "Hemelvaartsdag",
           date(2027, 5, 16): "Eerste Pinksterdag", date(2027, 5, 17): "Tweede Pinksterdag",
           date(2027, 12, 25): "Eerste Kerstdag", date(2027, 12, 26): "Tweede Kerstdag"},
    "BE": {date(2027, 1, 1): "Nieuwjaar", date(2027, 3, 28): "Pasen", date(2027, 3, 29): "Paasmaandag",
           date(2027, 5, 1): "Dag van de Arbeid", date(2027, 5, 6): "Onze-Lieve-Heer-Hemelvaart",
           date(2027, 5, 16): "Pinksteren", date(2027, 5, 17): "Pinkstermaandag",
           date(2027, 7, 21): "Nationale feestdag", date(2027, 8, 15): "Onze-Lieve-Vrouw-Hemelvaart",
           date(2027, 11, 1): "Allerheiligen", date(2027, 11, 11): "Wapenstilstand",
           date(2027, 12, 25): "Kerstmis"},
}
# King's Day and Easter in years outside the built calendar, hand-checked: 27 April 2025 and
# 2031 are Sundays; Easter 2038 is 25 April, 2025 20 April, 2027 28 March.
KINGS_DAY = {2025: date(2025, 4, 26), 2026: date(2026, 4, 27), 2031: date(2031, 4, 26)}
EASTER_MONDAY = {2025: date(2025, 4, 21), 2027: date(2027, 3, 29), 2038: date(2038, 4, 26)}
BI_PASSWORD = "bi-reader-test-password"
DOCUMENTED = re.compile(r"```sql\n(.*?)```", re.S)


def test_revenue_per_day_in_the_purchase_fact_equals_the_raw_layer(built):
    dsn = built["dsn"]
    facts = fetch(dsn, "select purchase_date, sum(amount) from marts.fct_purchase_lines"
                       " group by 1 order by 1")
    assert len(facts) >= 3 and facts == fetch(dsn, RAW_REVENUE_PER_DAY)
    # the customers' share is what customer_360 counts as their store and web revenue
    [(in_facts, in_360)] = fetch(dsn, """
        select (select sum(amount) from marts.fct_purchase_lines where customer_id is not null),
               (select sum(revenue_store + revenue_web) from marts.customer_360)""")
    assert in_facts == in_360 and in_facts > 0


def test_every_fact_key_joins_its_dimension_and_every_grain_is_unique(built):
    dsn = built["dsn"]
    found = fetch(dsn, f"select row_key, unjoined_rows, extra_rows from ({keys_and_grains()}) as k")
    assert len(found) > 20 and [row for row in found if row[1] or row[2]] == []
    # every fact has rows and customers, and store purchases their store
    for fact in FACTS:
        [(rows, customers)] = fetch(dsn, f"select count(*), count(customer_id) from marts.{fact}")
        assert rows > 0 and customers > 0, fact
    assert fetch(dsn, "select count(*) from marts.fct_purchase_lines where store_code is not null")[0][0] > 0
    # the check sees a key broken on purpose (in a transaction rolled back)
    with psycopg.connect(dsn) as conn:
        conn.execute("update marts.fct_web_sessions set channel = 'pigeon' where ctid ="
                     " (select min(ctid) from marts.fct_web_sessions)")
        conn.execute("insert into marts.dim_store select * from marts.dim_store limit 1")
        broken = conn.execute(f"select row_key, unjoined_rows, extra_rows from ({keys_and_grains()}) as k"
                              " where unjoined_rows + extra_rows > 0 order by 1").fetchall()
        conn.rollback()
    assert broken == [("marts.dim_store:store_code", 0, 1), ("marts.fct_web_sessions:channel", 1, 0)]


def test_the_date_dimension_names_the_holidays_of_a_year_checked_by_hand(built):
    dsn = built["dsn"]
    for country in ("NL", "BE"):
        named = dict(fetch(dsn, f"select calendar_date, {country.lower()}_holiday from marts.dim_date"
                                f" where calendar_year = 2027 and {country.lower()}_holiday is not null"))
        assert named == HOLIDAYS_2027[country], country
    [(first, last, days, week)] = fetch(dsn, """
        select min(calendar_date), max(calendar_date), count(*),
               (select iso_year_week from marts.dim_date where calendar_date = '2027-01-01')
        from marts.dim_date""")
    assert first <= date(2026, 4, 1) and last == date(2027, 12, 31) and days == (last - first).days + 1
    assert week == "2026-W53"  # 1 January 2027 is a Friday of ISO week 53 of 2026


def test_kings_day_moves_to_saturday_and_easter_follows_the_moon(built):
    years = sorted(KINGS_DAY | EASTER_MONDAY)
    kings_day = "{'month': 4, 'day': 27, 'sunday_to_saturday': true}"
    rows = " union all ".join(
        f"select {y} as y, {{{{ public_holiday_date({kings_day}, {y}) }}}} as kings_day,"
        f" {{{{ easter_sunday({y}) }}}} + 1 as easter_monday" for y in years)
    shown = run_dbt(built["env"], "show", "--inline", rows, "--output", "json", "--limit", "-1",
                    "--vars", "{business_date: 2026-11-03}").stdout
    start = shown.rindex("{", 0, shown.index('"show"'))
    result = json.JSONDecoder().raw_decode(shown[start:])[0]["show"]
    got = {r["y"]: (r["kings_day"], r["easter_monday"]) for r in result}
    for year in years:
        if year in KINGS_DAY:
            assert got[year][0] == str(KINGS_DAY[year]), year
        if year in EASTER_MONDAY:
            assert got[year][1] == str(EASTER_MONDAY[year]), year


def test_publish_puts_the_bi_tables_in_published_for_bi_reader_and_the_documented_queries_run(built):
    dsn = built["dsn"]
    ensure_bi_reader(dsn, BI_PASSWORD)
    published = {p.relation: p.row_count for p in publish(dsn, (*BI_TABLES, "customer_segments"), "marts")}
    with psycopg.connect(dsn_as(dsn, "bi_reader", BI_PASSWORD)) as bi:
        for table in BI_TABLES:
            [(rows,)] = bi.execute(f"select count(*) from published.{table}").fetchall()
            assert rows == published[f"published.{table}"] > 0, table
            columns = {c for (c,) in bi.execute(
                "select column_name from information_schema.columns where table_schema = 'published'"
                " and table_name = %s", (table,)).fetchall()}
            assert not columns & (NOT_FOR_BI | {"email", "email_hash"}), table
        revenue, sizes, *others = [bi.execute(query).fetchall() for query in DOCUMENTED.findall(
            (project_root() / "docs" / "bi-layer.md").read_text(encoding="utf-8"))]
    assert others and all(others), "a documented query returns nothing"
    [(total,)] = fetch(dsn, "select (select sum(amount) from marts.fct_purchase_lines)"
                            " + (select sum(amount_incl_vat) from marts.fct_invoices)")
    assert sum(row[-1] or 0 for row in revenue) == total
    assert {(segment, customers) for segment, _, _, customers in sizes} == set(fetch(
        dsn, "select d.segment, count(s.customer_id) from marts.dim_segment as d"
             " left join marts.customer_segments as s using (segment) group by 1"))

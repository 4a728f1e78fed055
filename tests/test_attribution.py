"""Attribution of purchases to the web content and campaigns before them.

A hand-made world of five customers, loaded into the raw layer and built by dbt as of one
business date: purchases with one, two and four touches, one with a touch just inside and
one just outside the lookback window, one without any touch, a touch after a purchase, a
purchase and a touch after the business date. Each model's credits are checked against
figures worked out by hand, and the published conversion tables against the purchases.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import psycopg
import pytest

from c360.config import ConfigError, load_settings
from c360.ingest.partitions import date_partitions
from c360.quality.contract import BUSINESS_DATE_SETTING
from c360.quality.suites.attribution import RECONCILED
from c360.warehouse.bootstrap import bootstrap
from tests.dbt_helpers import dbt, dbt_build, dbt_env, run_dbt
from tests.ingest_helpers import fetch

NIGHT = date(2026, 11, 30)
NEXT_NIGHT = date(2026, 12, 1)
MODELS = ("first_touch", "last_touch", "position_based")
ATTRIBUTION = "path:models/intermediate/attribution"
PUBLISHED = ("attribution_by_content", "attribution_by_campaign", "attribution_by_product_line")
NEWSLETTER = {"source": "newsletter", "medium": "email", "campaign": "weekly"}
SEARCH_AD = {"source": "google", "medium": "cpc", "campaign": "winter-deals"}
SOCIAL = {"source": "facebook", "medium": "social", "campaign": "heat-pump-webinar"}

# Loyalty members, who buy in the store: (card, first name, last name, e-mail).
MEMBERS = [
    ("9100000000003", "Carla", "Vier", "carla.vier@example.org"),
    ("9100000000005", "Eva", "Nul", "eva.nul@example.org"),
]
# (receipt, sold_at in the store's time, product line, quantity, unit price, card)
POS_LINES = [
    ("HM-C", "2026-11-14 11:00:00", "heat_pumps", "1", "100.01", "9100000000003"),
    ("HM-C-RETURN", "2026-11-15 11:00:00", "heat_pumps", "-1", "100.01", "9100000000003"),
    ("HM-E", "2026-11-25 12:00:00", "appliances", "1", "200.00", "9100000000005"),
]
# (event id, cookie, type, occurred_at, delivered on, e-mail typed, utm, referrer, properties,
#  page_url's path and query)
WEB_EVENTS = [
    # Anna: one touch, then a web order, a look after it, and both again after the night
    ("a1", "anna", "page_view", "2026-11-20T10:00:00Z", NIGHT, "anna.een@example.org", NEWSLETTER,
     None, {"path": "/producten/solar", "title": "Solar | Voltwerk"}, "/producten/solar"),
    ("a-order", "anna", "order_completed", "2026-11-20T10:05:00Z", NIGHT, None, None, None,
     {"order_id": "WO-A", "revenue": 100.00, "currency": "EUR", "product_line": "solar"}, "/bestellen"),
    ("a-after", "anna", "page_view", "2026-11-20T10:10:00Z", NIGHT, None, None, None,
     {"path": "/producten/solar", "title": "Solar | Voltwerk"}, "/producten/solar"),
    ("a-next", "anna", "page_view", "2026-12-01T09:00:00Z", NEXT_NIGHT, None, None, None,
     {"path": "/producten/solar", "title": "Solar | Voltwerk"}, "/producten/solar"),
    ("a-next-order", "anna", "order_completed", "2026-12-01T10:00:00Z", NEXT_NIGHT, None, None, None,
     {"order_id": "WO-A2", "revenue": 70.00, "currency": "EUR", "product_line": "solar"}, "/bestellen"),
    # Bram: two touches, then a web order
    ("b1", "bram", "page_view", "2026-11-18T09:00:00Z", NIGHT, "bram.twee@example.org", SEARCH_AD,
     "https://www.google.com/", {"path": "/", "title": "Voltwerk — duurzaam wonen"}, "/"),
    ("b2", "bram", "page_view", "2026-11-19T09:00:00Z", NIGHT, None, None, "https://www.voltwerk.nl/",
     {"path": "/producten/appliances", "title": "Appliances | Voltwerk"}, "/producten/appliances"),
    ("b-order", "bram", "order_completed", "2026-11-19T12:00:00Z", NIGHT, None, None, None,
     {"order_id": "WO-B", "revenue": 99.99, "currency": "EUR", "product_line": "appliances"}, "/bestellen"),
    # Carla: four touches, then a store purchase (and a return); the last page's address
    # carries her e-mail in its query, which no published row may show
    ("c1", "carla", "page_view", "2026-11-10T19:00:00Z", NIGHT, "carla.vier@example.org", SOCIAL,
     "https://www.facebook.com/", {"path": "/", "title": "Voltwerk — duurzaam wonen"}, "/"),
    ("c2", "carla", "page_view", "2026-11-11T19:00:00Z", NIGHT, None, None, None,
     {"path": "/producten/heat_pumps", "title": "Heat Pumps | Voltwerk"}, "/producten/heat_pumps"),
    ("c3", "carla", "page_view", "2026-11-12T19:00:00Z", NIGHT, None, None, None,
     {"path": "/producten/heat_pumps/12", "title": "Heat Pumps | Voltwerk"}, "/producten/heat_pumps/12"),
    ("c4", "carla", "page_view", "2026-11-13T19:00:00Z", NIGHT, None, None, None,
     {"title": "Offerte | Voltwerk"}, "/offerte?email=carla.vier%40example.org#stap-2"),
    # Dirk: a touch just outside the 30 days before his order, one just inside
    ("d-old", "dirk", "page_view", "2026-10-31T11:59:59Z", NIGHT, "dirk.grens@example.org", None, None,
     {"path": "/producten/smart_home", "title": "Smart Home | Voltwerk"}, "/producten/smart_home"),
    ("d-in", "dirk", "page_view", "2026-10-31T12:00:00Z", NIGHT, None, None, None,
     {"path": "/producten/smart_home/7", "title": "Smart Home | Voltwerk"}, "/producten/smart_home/7"),
    ("d-order", "dirk", "order_completed", "2026-11-30T12:00:00Z", NIGHT, None, None, None,
     {"order_id": "WO-D", "revenue": 50.00, "currency": "EUR", "product_line": "smart_home"}, "/bestellen"),
]
# Carla's second page is in the visit that landed from the campaign: it counts for the campaign too.
SESSIONS = {"c2": "s-c1"}
PURCHASES = {"anna": "web:WO-A:solar", "bram": "web:WO-B:appliances",
             "carla": "store:NL-AMS-01:HM-C:heat_pumps", "dirk": "web:WO-D:smart_home",
             "eva": "store:NL-AMS-01:HM-E:appliances"}
REVENUE = Decimal("550.00")  # the five purchases: 100.00 + 99.99 + 100.01 + 50.00 + 200.00


def insert_world(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        parents = ("raw_store.loyalty_members", "raw_store.pos_lines", "raw_web.events")
        for night in (NIGHT, NEXT_NIGHT):
            date_partitions(conn, parents, night)
        for line, (card, first, last, email) in enumerate(MEMBERS, start=2):
            conn.execute(
                """insert into raw_store.loyalty_members
                   (card_number, first_name, last_name, email, postal_code, house_number,
                    marketing_opt_in, enrolled_at, updated_at, _batch_id, _business_date,
                    _source_name, _line_number)
                   values (%s,%s,%s,%s,'1011AB',%s,'Y','2026-01-01 10:00:00','2026-01-01 10:00:00',
                           -1,%s,'hand-made/loyalty_members.csv',%s)""",
                (card, first, last, email, str(line), NIGHT, line))
        for line, (receipt, sold_at, product_line, quantity, price, card) in enumerate(POS_LINES, start=2):
            conn.execute(
                """insert into raw_store.pos_lines
                   (receipt_id, line_no, store_code, sold_at, sku, product_line, quantity,
                    unit_price, discount, loyalty_card, payment_method, _batch_id,
                    _business_date, _source_name, _line_number)
                   values (%s,'1','NL-AMS-01',%s,'SKU1',%s,%s,%s,'0.00',%s,'card',-1,%s,
                           'hand-made/pos.csv',%s)""",
                (receipt, sold_at, product_line, quantity, price, card, NIGHT, line))
        for line, (event_id, cookie, kind, at, night, email, utm, referrer, props, page) in enumerate(
                WEB_EVENTS, start=1):
            conn.execute(
                """insert into raw_web.events
                   (event_id, event_type, occurred_at, anonymous_id, session_id, page_url, referrer,
                    utm, traits, properties, _batch_id, _business_date, _source_name, _line_number)
                   values (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,-1,%s,'hand-made/events.jsonl.gz',%s)""",
                (event_id, kind, at, f"cookie-{cookie}", SESSIONS.get(event_id, f"s-{event_id}"),
                 "https://www.voltwerk.nl" + page, referrer, json.dumps(utm) if utm else None,
                 json.dumps({"email": email}) if email else None, json.dumps(props), night, line))


@pytest.fixture(scope="module")
def world(module_databases, tmp_path_factory):
    warehouse, _ = module_databases
    bootstrap(warehouse)
    insert_world(warehouse)
    env = dbt_env(warehouse, tmp_path_factory.mktemp("attribution") / "home")
    dbt_build(env, NIGHT, "--select", "+path:models/marts/attribution", "--exclude", "test_type:unit")
    return {"dsn": warehouse, "env": env}


def credits(dsn: str, purchase: str) -> dict[str, dict[str | None, Decimal]]:
    """Each model's credit per touch of one purchase."""
    found: dict[str, dict[str | None, Decimal]] = {model: {} for model in MODELS}
    for model, touch, credit in fetch(dsn, "select attribution_model, touch_id, credit"
                                      " from intermediate.int_attribution__credits where purchase_id = %s",
                                      (purchase,)):
        found[model][touch] = credit
    return found


def every_model(split: dict[str | None, str]) -> dict[str, dict[str | None, Decimal]]:
    return {model: {touch: Decimal(credit) for touch, credit in split.items()} for model in MODELS}


def test_one_touch_gets_the_whole_purchase_in_every_model_and_a_later_look_nothing(world):
    assert credits(world["dsn"], PURCHASES["anna"]) == every_model({"a1": "100.00"})


def test_two_touches_first_last_and_half_each(world):
    assert credits(world["dsn"], PURCHASES["bram"]) == {
        "first_touch": {"b1": Decimal("99.99")},
        "last_touch": {"b2": Decimal("99.99")},
        # half of 99.99 rounded down, the last touch takes the cent rounding left
        "position_based": {"b1": Decimal("49.99"), "b2": Decimal("50.00")},
    }


def test_four_touches_share_forty_ten_ten_forty_to_the_cent(world):
    assert credits(world["dsn"], PURCHASES["carla"]) == {
        "first_touch": {"c1": Decimal("100.01")},
        "last_touch": {"c4": Decimal("100.01")},
        "position_based": {"c1": Decimal("40.00"), "c2": Decimal("10.00"), "c3": Decimal("10.00"),
                           "c4": Decimal("40.01")},
    }


def test_a_touch_exactly_the_lookback_before_counts_and_one_a_second_older_does_not(world):
    assert credits(world["dsn"], PURCHASES["dirk"]) == every_model({"d-in": "50.00"})


def test_a_purchase_without_a_touch_is_credited_to_no_web_touch(world):
    assert credits(world["dsn"], PURCHASES["eva"]) == every_model({None: "200.00"})


def test_nothing_after_the_business_date_and_no_return(world):
    dsn = world["dsn"]
    purchases = {p for (p,) in fetch(dsn, "select purchase_id from intermediate.int_attribution__credits")}
    assert purchases == set(PURCHASES.values())  # not WO-A2 (the next night), not the return
    touches = {t for (t,) in fetch(dsn, "select touch_id from intermediate.int_attribution__touches")}
    # page views and campaign landings, up to the night (a look after a purchase is a touch too)
    assert touches == {"a1", "a-after", "b1", "b2", "c1", "c2", "c3", "c4", "d-old", "d-in"}
    for table in PUBLISHED:
        assert fetch(dsn, f"select distinct purchase_month from marts.{table}") == [(date(2026, 11, 1),)]


def test_each_models_credits_add_up_to_the_purchases_revenue(world):
    for table in PUBLISHED:
        totals = fetch(world["dsn"], f"select attribution_model, sum(attributed_revenue),"
                       f" sum(attributed_purchases), sum(store_attributed_revenue) from marts.{table}"
                       " group by 1 order by 1")
        # the store purchases: Carla's after research online, Eva's without
        assert totals == [(m, REVENUE, Decimal(5), Decimal("300.01")) for m in MODELS], table


def test_online_research_ending_in_a_store_purchase_is_counted_as_such(world):
    rows = fetch(world["dsn"], "select page_path, purchases, store_purchases, attributed_revenue,"
                 " store_attributed_revenue from marts.attribution_by_content"
                 " where attribution_model = 'position_based' order by 1")
    assert rows == [
        ("(no web touch)", 1, 1, Decimal("200.00"), Decimal("200.00")),
        ("/", 2, 1, Decimal("89.99"), Decimal("40.00")),
        ("/offerte", 1, 1, Decimal("40.01"), Decimal("40.01")),
        ("/producten/appliances", 1, 0, Decimal("50.00"), Decimal("0.00")),
        ("/producten/heat_pumps", 1, 1, Decimal("10.00"), Decimal("10.00")),
        ("/producten/heat_pumps/12", 1, 1, Decimal("10.00"), Decimal("10.00")),
        ("/producten/smart_home/7", 1, 0, Decimal("50.00"), Decimal("0.00")),
        ("/producten/solar", 1, 0, Decimal("100.00"), Decimal("0.00")),
    ]


def test_campaigns_and_product_lines_are_credited_per_model(world):
    campaigns = fetch(world["dsn"], "select utm_campaign, attributed_revenue, store_purchases"
                      " from marts.attribution_by_campaign where attribution_model = 'first_touch'"
                      " order by 1")
    assert campaigns == [("(no web touch)", Decimal("200.00"), 1), ("(none)", Decimal("50.00"), 0),
                         ("heat-pump-webinar", Decimal("100.01"), 1), ("weekly", Decimal("100.00"), 0),
                         ("winter-deals", Decimal("99.99"), 0)]
    visit = fetch(world["dsn"], "select utm_campaign, attributed_revenue, store_purchases"
                  " from marts.attribution_by_campaign where attribution_model = 'position_based'"
                  " and utm_campaign = 'heat-pump-webinar'")
    assert visit == [("heat-pump-webinar", Decimal("50.00"), 1)]  # Carla's 40.00 and 10.00
    lines = fetch(world["dsn"], "select product_line, purchased_product_line, attributed_revenue"
                  " from marts.attribution_by_product_line where attribution_model = 'position_based'"
                  " and purchased_product_line = 'heat_pumps' order by 1")
    # the home page and the quote page show no product line
    assert lines == [("(none)", "heat_pumps", Decimal("80.01")),
                     ("heat_pumps", "heat_pumps", Decimal("20.00"))]


def test_a_page_of_a_visit_from_a_campaign_carries_the_landings_campaign_and_referrer(world):
    rows = fetch(world["dsn"], "select touch_id, utm_source, utm_campaign, referrer_domain,"
                 " is_campaign_landing from intermediate.int_attribution__touches"
                 " where touch_id like 'c%%' order by 1")
    assert rows == [("c1", "facebook", "heat-pump-webinar", "facebook.com", True),
                    ("c2", "facebook", "heat-pump-webinar", "facebook.com", False),
                    ("c3", None, None, None, False), ("c4", None, None, None, False)]


def test_published_rows_hold_nobody(world):
    for table in PUBLISHED:
        columns = {c for (c,) in fetch(world["dsn"], "select column_name from information_schema.columns"
                                       " where table_schema = 'marts' and table_name = %s", (table,))}
        assert not columns & {"customer_id", "touch_id", "purchase_id", "session_id"}, table
        # no e-mail address, not even in a page's query string
        assert fetch(world["dsn"], f"select count(*) from marts.{table} as t"
                     " where t::text ~ '@|%%40'") == [(0,)]


def reconciliation(conn: psycopg.Connection) -> dict[str, tuple[Decimal, bool]]:
    """The gate's attribution check's rows: (unreconciled revenue, month not after the night)."""
    conn.execute(f"set {BUSINESS_DATE_SETTING} = '{NIGHT}'")
    rows = conn.execute(f"select row_key, unreconciled_revenue, is_not_after_business_date"
                        f" from ({RECONCILED}) as checked").fetchall()
    return {key: (unreconciled, in_time) for key, unreconciled, in_time in rows}


def test_the_gate_finds_every_table_and_model_reconciled_and_names_one_that_is_not(world):
    keys = {f"{table}:{model}:2026-11-01" for table in PUBLISHED for model in MODELS}
    assert fetch(world["dsn"], "select * from marts.attribution_purchase_totals") == [
        (date(2026, 11, 1), 5, REVENUE, 2)]
    with psycopg.connect(world["dsn"]) as conn:
        assert reconciliation(conn) == dict.fromkeys(keys, (Decimal("0.00"), True))
        # a cent lost in one model of one table, a month's untouched purchases in another
        conn.execute("update marts.attribution_by_campaign set attributed_revenue = attributed_revenue - 0.01"
                     " where attribution_model = 'last_touch' and utm_campaign = 'weekly'")
        conn.execute("delete from marts.attribution_by_content where attribution_model = 'first_touch'"
                     " and page_path = '(no web touch)'")
        wrong = {k: v for k, v in reconciliation(conn).items() if v != (Decimal("0.00"), True)}
        conn.rollback()
    assert wrong == {"attribution_by_campaign:last_touch:2026-11-01": (Decimal("-0.01"), True),
                     "attribution_by_content:first_touch:2026-11-01": (Decimal("-200.00"), True)}


def test_the_nightly_data_test_names_a_purchase_whose_credits_do_not_add_up(world):
    tampered = ("update intermediate.int_attribution__credits set credit = credit + %s"
                " where attribution_model = 'position_based' and touch_id = 'c3'")
    with psycopg.connect(world["dsn"]) as conn:
        conn.execute(tampered, (Decimal("0.01"),))
    try:
        result = dbt(world["env"], "test", "--select", "attribution_credits_add_up_to_each_purchase",
                     "--vars", f"{{business_date: {NIGHT}}}")
    finally:
        with psycopg.connect(world["dsn"]) as conn:
            conn.execute(tampered, (Decimal("-0.01"),))
    assert result.returncode != 0
    assert "Got 1 result" in result.stdout, result.stdout[-3000:]


def test_a_longer_lookback_reaches_the_older_touch(world):
    dsn, credits_table = world["dsn"], "intermediate.int_attribution__credits"
    with psycopg.connect(dsn) as conn:
        conn.execute(f"create table attribution_as_built as table {credits_table}")
    try:
        run_dbt(world["env"], "run", "--select", "int_attribution__credits", "--vars",
                f"{{business_date: {NIGHT}, attribution_lookback_days: 31}}")
        assert credits(dsn, PURCHASES["dirk"]) == {
            "first_touch": {"d-old": Decimal("50.00")}, "last_touch": {"d-in": Decimal("50.00")},
            "position_based": {"d-old": Decimal("25.00"), "d-in": Decimal("25.00")}}
        assert credits(dsn, PURCHASES["carla"])["position_based"]["c4"] == Decimal("40.01")
    finally:  # the night as built, for the other tests
        with psycopg.connect(dsn) as conn:
            conn.execute(f"truncate {credits_table}")
            conn.execute(f"insert into {credits_table} select * from attribution_as_built")
            conn.execute("drop table attribution_as_built")


def test_a_lookback_that_is_not_a_number_of_days_stops_the_build_and_says_why(world):
    days = "thirty"
    result = dbt(world["env"], "compile", "--select", "int_attribution__credits", "--vars",
                 f"{{business_date: {NIGHT}, attribution_lookback_days: {days}}}")
    assert result.returncode != 0
    assert (f"var attribution_lookback_days must be a whole number of days from 1 to 9999 (got {days})"
            in result.stdout), result.stdout[-3000:]


def test_the_lookback_setting_defaults_to_30_days(monkeypatch):
    monkeypatch.delenv("C360_ATTRIBUTION_LOOKBACK_DAYS", raising=False)
    assert load_settings().attribution_lookback_days == 30
    monkeypatch.setenv("C360_ATTRIBUTION_LOOKBACK_DAYS", "45")
    assert load_settings().attribution_lookback_days == 45


@pytest.mark.parametrize("value", ["0", "-3", "30d", "1.5", "10000", "³"])
def test_a_bad_lookback_setting_is_refused_with_what_it_must_be(monkeypatch, value):
    monkeypatch.setenv("C360_ATTRIBUTION_LOOKBACK_DAYS", value)
    with pytest.raises(ConfigError, match=r"C360_ATTRIBUTION_LOOKBACK_DAYS must be a whole number of days"
                                          rf" from 1 to 9999 .*got '{re.escape(value)}'"):
        load_settings()

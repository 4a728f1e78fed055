"""Customer 360 and segments end to end: a small simulated population loaded by the
real loaders, a few hand-made persons for what two simulated days cannot show (a
purchase months ago, a restriction), a real `c360 dbt build`, and assertions on
revenue against the raw layer, consent in segments, and re-runs.

Also the declared segments file, read the way the gate and the run summary read it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml

from c360.config import ConfigError
from c360.local.simulator.config import SimulationConfig
from c360.publishing.publish import NOT_FOR_BI
from c360.publishing.segments import SEGMENTS_MODEL, Segment, load_segments, segments_file
from c360.warehouse.bootstrap import bootstrap
from tests.bi_layer_checks import (  # noqa: F401  the BI layer's tests, on this module's warehouse
    test_every_fact_key_joins_its_dimension_and_every_grain_is_unique,
    test_kings_day_moves_to_saturday_and_easter_follows_the_moon,
    test_publish_puts_the_bi_tables_in_published_for_bi_reader_and_the_documented_queries_run,
    test_revenue_per_day_in_the_purchase_fact_equals_the_raw_layer,
    test_the_date_dimension_names_the_holidays_of_a_year_checked_by_hand,
)
from tests.dbt_helpers import MODELS_ONLY, as_of, dbt_build, dbt_env, run_dbt, simulate_and_load
from tests.ingest_helpers import fetch
from tests.published_docs_checks import (  # noqa: F401  dbt's descriptions as published comments
    test_every_published_column_carries_dbts_description_and_a_changed_one_follows,
)

START = date(2026, 11, 2)
BUSINESS_DATE = "2026-11-03"
# The facts, metrics and segments: what a re-run of the night rebuilds here.
THE_360 = ("path:models/intermediate/facts+", "path:models/intermediate/metrics+")
# A busy population: enough web visits, receipts and contacts in two days for every
# metric to have something to count.
BUSY = SimulationConfig(web_session_rate=0.5, store_receipt_rate=0.1, contact_rate=0.05)

# Hand-made loyalty members: (card, first, last, email, opt_in).
MEMBERS = [
    ("9000000000001", "Lotte", "Lapsed", "lotte.lapsed@example.org", "Y"),
    ("9000000000002", "Rik", "Research", "rik.research@example.org", "Y"),
    ("9000000000003", "Hanna", "Highvalue", "hanna.highvalue@example.org", "Y"),
    ("9000000000005", "Otto", "Openissue", "otto.openissue@example.org", "N"),
    ("9000000000007", "Rosa", "Restricted", "rosa.restricted@example.org", "Y"),
]
# (card, business date, sold_at, product_line, unit_price). Every hand-made row is
# delivered on a simulated night (the raw tables hold the nights loaded); the old
# sales came with the first night, as history.
POS_LINES = [
    ("9000000000001", "2026-11-02", "2026-04-01 11:00:00", "appliances", "199.00"),  # 216 days ago
    ("9000000000007", "2026-11-02", "2026-04-01 12:00:00", "appliances", "199.00"),
    ("9000000000003", "2026-11-02", "2026-09-01 11:00:00", "heat_pumps", "25000.00"),  # big, long ago
    ("9000000000002", "2026-11-03", "2026-11-03 15:00:00", "solar", "4999.00"),  # after research online
]
# (cookie, event type, occurred_at, traits, properties)
WEB_EVENTS = [
    ("cookie-rik", "page_view", "2026-11-02T19:00:00Z", {"email": "rik.research@example.org"},
     {"path": "/producten/solar", "title": "Solar"}),
    ("cookie-rik", "product_configured", "2026-11-02T19:05:00Z", None,
     {"product_line": "solar", "configuration_id": "CFG-1", "price": 5000}),
    ("cookie-pia", "newsletter_signup", "2026-11-03T08:00:00Z", {"email": "pia.prospect@example.org"},
     {"list": "weekly"}),
    ("cookie-pia", "expert_chat", "2026-11-03T08:10:00Z", None, {"topic": "subsidie"}),
    ("cookie-quinn", "webinar_registration", "2026-11-03T09:00:00Z", {"email": "quinn.quiet@example.org"},
     {"webinar_id": "WB-1", "topic": "Zon"}),
    ("cookie-quinn", "expert_chat", "2026-11-03T09:10:00Z", None, {"topic": "offerte"}),
]


def insert_hand_made(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        for line, (card, first, last, email, opt_in) in enumerate(MEMBERS, start=2):
            conn.execute(
                """insert into raw_store.loyalty_members
                   (card_number, first_name, last_name, email, postal_code, house_number,
                    marketing_opt_in, enrolled_at, updated_at, _batch_id, _business_date,
                    _source_name, _line_number)
                   values (%s,%s,%s,%s,'1011AB',%s,%s,'2026-01-01 10:00:00','2026-01-01 10:00:00',
                           -1,'2026-11-02','hand-made/loyalty_members.csv',%s)""",
                (card, first, last, email, str(line), opt_in, line),
            )
        for line, (card, day, sold_at, product_line, price) in enumerate(POS_LINES, start=2):
            conn.execute(
                """insert into raw_store.pos_lines
                   (receipt_id, line_no, store_code, sold_at, sku, product_line, quantity,
                    unit_price, discount, loyalty_card, payment_method, _batch_id,
                    _business_date, _source_name, _line_number)
                   values (%s,'1','NL-AMS-01',%s,'SKU1',%s,'1',%s,'0.00',%s,'card',-1,%s,
                           'hand-made/pos.csv',%s)""",
                (f"HM{line}", sold_at, product_line, price, card, day, line),
            )
        for line, (cookie, event_type, at, traits, props) in enumerate(WEB_EVENTS, start=1):
            conn.execute(
                """insert into raw_web.events
                   (event_id, event_type, occurred_at, anonymous_id, session_id, page_url,
                    traits, properties, _batch_id, _business_date, _source_name, _line_number)
                   values (%s,%s,%s,%s,%s,'https://www.voltwerk.nl/',%s,%s,-1,%s,
                           'hand-made/events.jsonl.gz',%s)""",
                (f"hand-made-{line}", event_type, at, cookie, f"s-{cookie}",
                 json.dumps(traits) if traits else None, json.dumps(props), at[:10], line),
            )
        # Otto complains and is not helped yet; Rosa asks for restriction
        conn.execute(
            """insert into raw_contact_center.interactions
               (interaction_id, started_at, channel, direction, customer_ref, reason,
                handle_seconds, wait_seconds, resolved, first_contact_resolution, agent_id,
                _batch_id, _business_date, _source_name, _line_number)
               values ('CC-HM-1','03-11-2026 10:00:00','phone','inbound','9000000000005',
                       'complaint','300','20','N','N','AG001',-1,'2026-11-03','hand-made/cc.csv',2)""")
        conn.execute(
            """insert into raw_privacy.requests
               (request_id, received_at, request_type, card_number, _batch_id, _business_date,
                _source_name, _line_number)
               values ('PR-HM-1','2026-11-03T10:00:00+01:00','restrict','9000000000007',-1,
                       '2026-11-03','hand-made/requests.csv',2)""")


def snapshot(dsn: str) -> dict:
    """customer_360 and segment membership as comparable values (published_at is the run's time)."""
    return {
        "customer_360": fetch(
            dsn, "select to_jsonb(c)::text from marts.customer_360 as c order by customer_id"),
        "segments": fetch(
            dsn, "select customer_id, segment, requires_marketing_consent, business_date "
            "from marts.customer_segments order by segment, customer_id"),
        "business_dates": {d for (d,) in fetch(dsn, "select distinct business_date from marts.customer_360")},
    }


@pytest.fixture(scope="module")
def built(module_databases, tmp_path_factory):
    warehouse, finance = module_databases
    bootstrap(warehouse)
    root = tmp_path_factory.mktemp("c360-360")
    simulate_and_load(warehouse, finance, root, people=300, days=2, start=START, seed=360, config=BUSY)
    insert_hand_made(warehouse)
    env = dbt_env(warehouse, root / "home")
    dbt_build(env, BUSINESS_DATE)  # data and unit tests too
    first = snapshot(warehouse)
    dbt_build(env, BUSINESS_DATE, *MODELS_ONLY, "--select", *THE_360)
    return {"dsn": warehouse, "env": env, "first": first, "again": snapshot(warehouse)}


def customer_of(dsn: str, source_system: str, source_key: str) -> str:
    [(customer_id,)] = fetch(
        dsn, "select customer_id from marts.customer_xref where source_system = %s and source_key = %s",
        (source_system, source_key))
    return customer_id


def segments_of(dsn: str, customer_id: str) -> set[str]:
    return {s for (s,) in fetch(
        dsn, "select segment from marts.customer_segments where customer_id = %s", (customer_id,))}


def test_metrics_are_as_of_the_business_date_passed_and_reruns_change_nothing(built):
    assert built["first"]["business_dates"] == {date.fromisoformat(BUSINESS_DATE)}
    assert built["again"] == built["first"]
    assert len(built["first"]["customer_360"]) > 200


# Revenue per channel straight from the raw layer, as the silos delivered it (an invoice
# in its latest version), over the rows that each filter selects.
RAW_REVENUE = """
    select
        (select coalesce(sum(quantity::int * unit_price::numeric - discount::numeric), 0)
         from raw_store.pos_lines where {store}),
        (select coalesce(sum((properties ->> 'revenue')::numeric), 0)
         from raw_web.events where event_type = 'order_completed' and {web}),
        (select coalesce(sum(amount_excl_vat + vat_amount), 0)
         from (select distinct on (invoice_id) * from raw_finance.invoices
               order by invoice_id, updated_at desc) as latest
         where {finance})
"""
# The records customer_xref gives the customer %(c)s.
KEYS = "(select source_key from marts.customer_xref where customer_id = %(c)s and source_system = '{}')"
CUSTOMER_ROWS = {"store": f"btrim(loyalty_card) in {KEYS.format('store')}",
                 "web": f"anonymous_id in {KEYS.format('web')}",
                 "finance": f"upper(account_id) in {KEYS.format('finance')}"}
ALL_ROWS = {"store": "true", "web": "true", "finance": "true"}


def test_revenue_per_channel_equals_the_raw_layer(built):
    dsn = built["dsn"]
    # customers who bought through more than one channel, the hand-made researcher too
    sample = fetch(
        dsn, """select customer_id, revenue_store, revenue_web, revenue_finance, total_revenue
                from marts.customer_360
                where (revenue_store <> 0)::int + (revenue_web <> 0)::int + (revenue_finance <> 0)::int >= 2
                   or customer_id = %s
                order by customer_id limit 8""", (customer_of(dsn, "store", "9000000000002"),))
    assert len(sample) >= 5
    for customer_id, store, web, finance, total in sample:
        [raw] = fetch(dsn, RAW_REVENUE.format(**CUSTOMER_ROWS), {"c": customer_id})
        assert (store, web, finance) == raw, customer_id
        assert total == store + web + finance


def test_channel_totals_count_every_purchase_once_with_or_without_customer(built):
    dsn = built["dsn"]
    facts = dict(fetch(dsn, "select channel, sum(amount) from marts.fct_purchases group by channel"))
    [(store, web, finance)] = fetch(dsn, RAW_REVENUE.format(**ALL_ROWS))
    assert facts == {"store": store, "web": web, "finance": finance}
    anonymous = fetch(dsn, "select count(*) from marts.fct_purchases where customer_id is null")[0][0]
    assert anonymous > 0  # receipts without loyalty card are kept, without customer


def test_every_declared_segment_is_produced_with_its_consent_rule(built):
    declared = {s.name: s.requires_marketing_consent for s in load_segments()}
    produced = dict(fetch(built["dsn"], "select distinct segment, requires_marketing_consent "
                                         "from marts.customer_segments"))
    assert produced == declared


def test_nobody_without_consent_or_restricted_in_a_segment_that_requires_consent(built):
    dsn = built["dsn"]
    offenders = fetch(
        dsn, """select s.segment, s.customer_id from marts.customer_segments s
                join marts.dim_customer d using (customer_id)
                where s.requires_marketing_consent
                  and (d.is_erased or d.is_restricted or not coalesce(d.marketing_consent, false))""")
    assert offenders == []
    # and the check is not empty: customers without consent exist and are segmented for service
    otto = customer_of(dsn, "store", "9000000000005")
    assert segments_of(dsn, otto) == {"open_service_issue"}
    quinn = customer_of(dsn, "web", "cookie-quinn")  # engaged, but never consented
    assert fetch(dsn, "select engagement_score >= 20, marketing_consent from marts.customer_360 "
                      "where customer_id = %s", (quinn,)) == [(True, False)]
    assert segments_of(dsn, quinn) == set()


def test_hand_made_persons_land_in_the_segments_their_behaviour_implies(built):
    dsn = built["dsn"]
    assert "lapsed" in segments_of(dsn, customer_of(dsn, "store", "9000000000001"))
    assert {"researches_online_buys_offline", "new_customer"} <= segments_of(
        dsn, customer_of(dsn, "store", "9000000000002"))
    assert "high_value_at_risk" in segments_of(dsn, customer_of(dsn, "store", "9000000000003"))
    pia = customer_of(dsn, "web", "cookie-pia")
    assert segments_of(dsn, pia) == {"engaged_prospect"}
    assert fetch(dsn, "select engagement_score, engagement_points from marts.customer_360 "
                      "where customer_id = %s", (pia,)) == [(25, 25)]


def test_a_restricted_customer_is_neither_profiled_nor_segmented(built):
    dsn = built["dsn"]
    rosa = customer_of(dsn, "store", "9000000000007")
    assert fetch(dsn, "select is_restricted from marts.dim_customer where customer_id = %s",
                 (rosa,)) == [(True,)]
    assert fetch(dsn, "select 1 from marts.customer_360 where customer_id = %s", (rosa,)) == []
    assert segments_of(dsn, rosa) == set()


def test_customer_360_carries_only_a_hashed_email_and_only_with_consent(built):
    dsn = built["dsn"]
    columns = {c for (c,) in fetch(dsn, "select column_name from information_schema.columns "
                                        "where table_schema = 'marts' and table_name = 'customer_360'")}
    assert not columns & (NOT_FOR_BI | {"email"})
    lotte = customer_of(dsn, "store", "9000000000001")
    expected = hashlib.sha256(b"lotte.lapsed@example.org").hexdigest()
    assert fetch(dsn, "select email_sha256 from marts.customer_360 where customer_id = %s",
                 (lotte,)) == [(expected,)]
    assert fetch(dsn, "select count(*) from marts.customer_360 "
                      "where email_sha256 is not null and not marketing_consent") == [(0,)]


def test_dbt_docs_generate_documents_every_column_and_the_exposures(built):
    # the last build compiled the project with these vars: dbt reuses its parse
    run_dbt(built["env"], "docs", "generate", "--no-compile", *as_of(BUSINESS_DATE))
    target = Path(built["env"]["DBT_TARGET_PATH"])
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    ours = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"
            and any(f"/{folder}/" in node["original_file_path"]
                    for folder in ("marts/facts", "metrics", "customer_360", "segments"))}
    assert {"model.c360.customer_360", "model.c360.customer_segments"} <= set(ours)
    for uid, node in ours.items():
        assert set(catalog["nodes"][uid]["columns"]) == set(node["columns"]), uid
        assert all(column["description"] for column in node["columns"].values()), uid
    exposures = [e for e in manifest["exposures"].values()
                 if "model.c360.customer_segments" in e["depends_on"]["nodes"]]
    assert exposures and all(e["owner"]["email"] for e in exposures)


REQUIRED_SEGMENTS = {
    "high_value_at_risk", "researches_online_buys_offline", "open_service_issue",
    "engaged_prospect", "lapsed", "new_customer",
}


def test_shipped_segments_file_declares_the_required_segments():
    segments = load_segments()
    assert {s.name for s in segments} >= REQUIRED_SEGMENTS
    service = next(s for s in segments if s.name == "open_service_issue")
    assert service.requires_marketing_consent is False
    assert all(s.requires_marketing_consent for s in segments if s.name != "open_service_issue")
    assert all(s.owner and s.description and s.rule for s in segments)


def write_segments(tmp_path: Path, entries: object) -> Path:
    path = tmp_path / "segments.yml"
    model = {"name": SEGMENTS_MODEL, "config": {"meta": {"segments": entries}}}
    path.write_text(yaml.safe_dump({"version": 2, "models": [model]}))
    return path


GOOD = {
    "name": "vip", "description": "Big  spenders.", "owner": "Marketing",
    "rule": "total_revenue\n  > 1000", "requires_marketing_consent": True,
}


def test_a_declared_segment_is_read_with_whitespace_folded(tmp_path):
    assert load_segments(write_segments(tmp_path, [GOOD])) == [
        Segment("vip", "Big spenders.", "Marketing", "total_revenue > 1000", True)
    ]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "needs a non-empty list"),
        ([{**GOOD, "requires_marketing_consent": "yes"}], "must be true or false"),
        ([{k: v for k, v in GOOD.items() if k != "owner"}], "missing fields ['owner']"),
        ([{**GOOD, "requires_consent": True}], "unknown fields ['requires_consent']"),
        ([{**GOOD, "name": "High Value"}], "lower_snake_case"),
        ([{**GOOD, "rule": "true; drop table x"}], "may not contain `;`"),
        ([{**GOOD, "rule": " "}], "`rule` must be non-empty text"),
        ([GOOD, GOOD], "repeated: ['vip']"),
        (["vip"], "expected the fields"),
    ],
)
def test_a_bad_declaration_is_refused_with_the_reason(tmp_path, entries, message):
    with pytest.raises(ConfigError, match="segments file") as error:
        load_segments(write_segments(tmp_path, entries))
    assert message in str(error.value)


def test_a_missing_or_broken_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_segments(tmp_path / "absent.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("models: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_segments(broken)
    other = tmp_path / "other.yml"
    other.write_text(yaml.safe_dump({"models": [{"name": "dim_customer"}]}))
    with pytest.raises(ConfigError, match=f"no model `{SEGMENTS_MODEL}`"):
        load_segments(other)


def test_the_segments_file_is_the_one_in_the_dbt_project():
    assert segments_file().parts[-4:] == ("models", "marts", "segments", "segments.yml")

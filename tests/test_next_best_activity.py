"""The preferred channel per product line and the next best activity.

A small busy simulated population, loaded by the real loaders and built by dbt as of one
business date, gives the channel model something to find: it is compared with the
simulator's hidden preferred channel (truth/interests.csv). The activities' rules run as
dbt unit tests on hand-made rows, and the history's cooldown over two nights built by dbt on
hand-made inputs; the activities file is read the way the gate reads it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import psycopg
import pytest
import yaml

from c360.config import ConfigError
from c360.local.simulator.config import SimulationConfig
from c360.publishing.activities import ACTIVITIES_MODEL, Activity, load_activities, unknown_columns
from c360.warehouse.bootstrap import bootstrap
from tests.dbt_helpers import MODELS_ONLY, as_of, dbt_build, dbt_env, run_dbt, simulate_and_load
from tests.ingest_helpers import fetch

START = date(2026, 11, 2)
DAYS = 10
# Journeys ten times as often as by default: ten days show most customers' channel.
BUSY = SimulationConfig(web_session_rate=0.05, store_receipt_rate=0.12, contact_rate=0.01)
CHANNELS = ("store", "web", "email", "phone")


@pytest.fixture(scope="module")
def simulated(module_databases, tmp_path_factory):
    warehouse, finance = module_databases
    bootstrap(warehouse)
    root = tmp_path_factory.mktemp("c360-nba")
    dates = simulate_and_load(warehouse, finance, root, people=1500, days=DAYS, start=START, seed=25,
                              config=BUSY)
    env = dbt_env(warehouse, root / "home")
    dbt_build(env, dates[-1], *MODELS_ONLY, "--select", "+customer_preferred_channel")
    return {"dsn": warehouse, "env": env, "truth": root / "truth", "dates": dates}


def with_truth(simulated) -> pd.DataFrame:
    """Each customer's preferred channel per line beside the truth of the person whose
    records the customer mostly holds."""
    identities = pd.read_csv(simulated["truth"] / "identities.csv")
    interests = pd.read_csv(simulated["truth"] / "interests.csv")
    xref = pd.DataFrame(fetch(simulated["dsn"], "select customer_id, source_system, source_key"
                              " from intermediate.int_identity__xref"),
                        columns=["customer_id", "source_system", "source_key"])
    person = (xref.merge(identities, on=["source_system", "source_key"])
              .groupby("customer_id")["person_id"].agg(lambda p: p.mode()[0]).reset_index())
    preferred = pd.DataFrame(
        fetch(simulated["dsn"], "select customer_id, product_line, preferred_channel,"
              " confidence::float, evidence_count from marts.customer_preferred_channel"),
        columns=["customer_id", "product_line", "preferred_channel", "confidence", "evidence_count"])
    return (preferred.merge(person, on="customer_id")
            .merge(interests, on=["person_id", "product_line"], suffixes=("", "_truth")))


def test_preferred_channel_agrees_with_the_simulators_hidden_one(simulated):
    found = with_truth(simulated)
    enough = found[found["evidence_count"] >= 2]
    assert len(enough) > 300
    agreement = (enough["preferred_channel"] == enough["preferred_channel_truth"]).mean()
    # chance: agreement of two independent guesses with these shares
    truth_share = enough["preferred_channel_truth"].value_counts(normalize=True)
    found_share = enough["preferred_channel"].value_counts(normalize=True)
    chance = sum(truth_share.get(c, 0) * found_share.get(c, 0) for c in CHANNELS)
    assert agreement > 0.65 and agreement > chance + 0.3, (agreement, chance)
    # every channel is found, and where it is said it is the truth far more often than by chance
    for channel in CHANNELS:
        said = enough[enough["preferred_channel"] == channel]
        assert (said["preferred_channel_truth"] == channel).mean() > truth_share[channel] + 0.15, channel
    # a confident answer is right more often
    confident = found[found["confidence"] >= 0.6]
    assert (confident["preferred_channel"] == confident["preferred_channel_truth"]).mean() > agreement


def test_channel_evidence_is_as_of_the_business_date(simulated):
    dates = simulated["dates"]
    evidence = "select count(*), max(evidence_date) from intermediate.int_channels__evidence"
    [(later, _)] = fetch(simulated["dsn"], evidence)
    dbt_build(simulated["env"], dates[2], *MODELS_ONLY, "--select", "int_channels__evidence")
    [(earlier, last_seen)] = fetch(simulated["dsn"], evidence)
    dbt_build(simulated["env"], dates[-1], *MODELS_ONLY, "--select", "int_channels__evidence")
    assert 0 < earlier < later and last_seen <= dates[2]


def test_shipped_activities_put_service_first_and_ask_consent_for_offers():
    activities = load_activities()
    names = {a.name for a in activities}
    assert {"resolve_open_complaint", "collect_overdue_invoice", "follow_up_research",
            "win_back_lapsed", "welcome_new_customer"} <= names
    service = [a for a in activities if a.kind == "service"]
    offers = [a for a in activities if a.kind == "offer"]
    assert max(a.priority for a in service) < min(a.priority for a in offers)
    assert all(a.requires_marketing_consent and a.cooldown_days > 0 for a in offers)
    assert not any(a.requires_marketing_consent for a in service)


def write_activities(tmp_path: Path, entries: object) -> Path:
    path = tmp_path / "activities.yml"
    model = {"name": ACTIVITIES_MODEL, "config": {"meta": {"activities": entries}}}
    path.write_text(yaml.safe_dump({"version": 2, "models": [model]}))
    return path


GOOD = {
    "name": "call_back", "description": "Call  back.", "owner": "Service", "kind": "service",
    "priority": 1, "scope": "customer", "condition": "has_open_complaint\n  and contact_count > 1",
    "channel": "complaint", "reason": "'since ' || open_complaint_date",
    "requires_marketing_consent": False, "cooldown_days": 0,
}
OFFER = {**GOOD, "name": "offer_line", "kind": "offer", "priority": 5, "scope": "product_line",
         "condition": "propensity_decile <= 2", "channel": "preferred",
         "reason": "product_line", "requires_marketing_consent": True, "cooldown_days": 30}


def test_a_declared_activity_is_read_with_whitespace_folded(tmp_path):
    [service, offer] = load_activities(write_activities(tmp_path, [GOOD, OFFER]))
    assert service == Activity("call_back", "Call back.", "Service", "service", 1, "customer",
                               "has_open_complaint and contact_count > 1", "complaint",
                               "'since ' || open_complaint_date", False, 0)
    assert offer.scope == "product_line" and offer.cooldown_days == 30


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "needs a non-empty list"),
        ([{**GOOD, "channel": "sms"}], "unknown channel 'sms'"),
        ([{k: v for k, v in GOOD.items() if k != "priority"}], "missing fields ['priority']"),
        ([{**GOOD, "priority": "high"}], "`priority` must be a whole number from 1"),
        ([GOOD, GOOD], "repeated: ['call_back']"),
        ([{**GOOD, "condition": "open_complaints > 0"}], "unknown columns ['open_complaints']"),
        ([{**GOOD, "condition": "propensity_decile = 1"}], "unknown columns ['propensity_decile']"),
        ([{**GOOD, "reason": "'x' || nickname"}], "the reason reads unknown columns ['nickname']"),
        ([{**GOOD, "condition": "true; drop table x"}], "may not contain `;`"),
        ([{**GOOD, "kind": "upsell"}], "unknown kind 'upsell'"),
        ([{**OFFER, "requires_marketing_consent": False}], "requires marketing consent"),
        ([GOOD, {**OFFER, "priority": 1}], "service comes first"),
        ([{**GOOD, "cooldown_days": -1}], "`cooldown_days` must be a whole number of days"),
        (["call_back"], "expected the fields"),
    ],
)
def test_a_bad_declaration_is_refused_with_the_reason(tmp_path, entries, message):
    with pytest.raises(ConfigError, match="activities file") as error:
        load_activities(write_activities(tmp_path, entries))
    assert message in str(error.value)


def test_unknown_columns_skip_strings_functions_and_casts():
    expression = "coalesce(x, 'y z') > 1::numeric and total_revenue > 0"
    assert unknown_columns(expression, {"total_revenue"}) == ["x"]


# The inputs of next_best_activity_candidates, with the columns the activities read.
NBA_INPUTS = """
create schema marts;
create schema intermediate;
create table marts.customer_360 (
    customer_id text, business_date date, marketing_consent boolean, purchase_count integer,
    days_since_last_purchase integer, days_since_first_purchase integer, first_purchase_date date,
    rfm_monetary_score integer);
create table marts.customer_service_state (
    customer_id text, has_open_complaint boolean, open_complaint_date date, open_complaint_channel text,
    overdue_invoice_count integer, overdue_amount numeric, days_overdue integer);
create table marts.customer_preferred_channel (
    customer_id text, product_line text, preferred_channel text, confidence numeric, evidence_count integer);
create table marts.customer_propensity (
    customer_id text, product_line text, propensity double precision, decile smallint);
create table intermediate.int_channels__evidence (
    customer_id text, product_line text, channel text, evidence_kind text, evidence_date date);
-- C1 and C3 researched solar lately and are top for it; C2 has an open complaint; C4 owes an invoice
insert into marts.customer_360 values
    ('C1', null, true, 1, 20, 200, '2026-05-04', 3),
    ('C2', null, false, 2, 40, 300, '2026-01-24', 3),
    ('C3', null, true, 1, 20, 200, '2026-05-04', 3),
    ('C4', null, true, 1, 60, 250, '2026-03-15', 2);
insert into marts.customer_service_state values
    ('C2', true, '2026-11-18', 'phone', 0, 0, null),
    ('C4', false, null, null, 1, 121.00, 12);
insert into marts.customer_preferred_channel values
    ('C1', 'solar', 'store', 0.8, 3), ('C3', 'solar', 'web', 0.7, 2), ('C4', 'appliances', 'web', 0.6, 2);
insert into marts.customer_propensity values ('C1', 'solar', 0.5, 1), ('C3', 'solar', 0.4, 1);
insert into intermediate.int_channels__evidence values
    ('C1', 'solar', 'web', 'web_research', '2026-11-15'),
    ('C3', 'solar', 'web', 'web_research', '2026-11-16');
"""
NBA_MODELS = ("--select", "next_best_activity_candidates next_best_activity_history next_best_activity")


def test_two_nights_of_next_best_activity_keep_cooldowns_and_consent(new_database, tmp_path):
    """Night one gives each customer their first activity; on night two (C3 withdrew marketing
    consent in between) an activity in its cooldown is not given again, the next one is, even
    when night two is built by a full refresh."""
    dsn = new_database()
    bootstrap(dsn)
    first = date(2026, 11, 20)
    second = first + timedelta(days=1)
    with psycopg.connect(dsn) as conn:
        conn.execute(NBA_INPUTS)
    env = dbt_env(dsn, tmp_path)
    nights = {}
    for night in (first, second):
        with psycopg.connect(dsn) as conn:
            conn.execute("update marts.customer_360 set business_date = %s", (night,))
            if night == second:
                conn.execute("update marts.customer_360 set days_since_last_purchase ="
                             " days_since_last_purchase + 1, days_since_first_purchase ="
                             " days_since_first_purchase + 1, marketing_consent = customer_id <> 'C3'")
                conn.execute("update marts.customer_service_state set days_overdue = days_overdue + 1")
        # night two as a full refresh of identity and all after it builds it: the history,
        # and with it every cooldown, stays
        refresh = ("--full-refresh",) if night == second else ()
        run_dbt(env, "run", *refresh, *NBA_MODELS, *as_of(night))
        nights[night] = fetch(dsn, "select customer_id, business_date, activity, product_line, valid_until"
                                   " from marts.next_best_activity order by customer_id")
    assert nights[first] == [
        ("C1", first, "follow_up_research", "solar", date(2026, 12, 20)),
        ("C2", first, "resolve_open_complaint", None, date(2026, 11, 21)),
        ("C3", first, "follow_up_research", "solar", date(2026, 12, 20)),
        ("C4", first, "collect_overdue_invoice", None, date(2026, 11, 27)),
    ]
    # C1: the follow-up rests for 30 days, the next offer instead; C2: service again, valid a
    # day; C3: no consent, no offer; C4: the reminder rests for 7 days and offers wait on service
    assert nights[second] == [
        ("C1", second, "cross_sell_top_line", "solar", date(2026, 12, 21)),
        ("C2", second, "resolve_open_complaint", None, date(2026, 11, 22)),
    ]
    history = fetch(dsn, "select customer_id, business_date, activity, product_line, valid_until"
                         " from marts.next_best_activity_history order by business_date, customer_id")
    assert history == nights[first] + nights[second]

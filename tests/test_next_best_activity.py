"""The preferred channel per product line and the next best activity.

A small busy simulated population, loaded by the real loaders and built by dbt as of one
business date, gives the channel model something to find: it is compared with the
simulator's hidden preferred channel (truth/interests.csv). The activities' rules run as
dbt unit tests on hand-made rows; the activities file is read the way the gate reads it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from c360.config import ConfigError
from c360.local.simulator.config import SimulationConfig
from c360.publishing.activities import ACTIVITIES_MODEL, Activity, load_activities, unknown_columns
from c360.warehouse.bootstrap import bootstrap
from tests.dbt_helpers import MODELS_ONLY, dbt_build, dbt_env, simulate_and_load
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

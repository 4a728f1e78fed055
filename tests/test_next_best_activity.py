"""The preferred channel per product line and the next best activity.

A small busy simulated population, loaded by the real loaders and built by dbt as of one
business date, gives the channel model something to find: it is compared with the
simulator's hidden preferred channel (truth/interests.csv). The activities' rules run as
dbt unit tests on hand-made rows; the activities file is read the way the gate reads it.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from c360.local.simulator.config import SimulationConfig
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

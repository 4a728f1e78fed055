"""Identity resolution on FEBRL4, public data nobody here made, through the real path.

FEBRL4's 5,000 originals become billing accounts and their 5,000 duplicates one
business date's loyalty members (c360/local/evaluation/febrl.py); the finance and
store loaders take them into the raw layer, `c360 dbt build --select
+customer_xref` resolves them, and c360.local.evaluation.pairs compares marts.customer_xref
with the FEBRL truth. The whole set runs here: mapping, loading, building and
evaluating take 12-18 s on a 2-core machine (the dbt build 10-17 s of it).

Measured on main at 2efe3f8 when this test was written: precision 1.0000,
recall 0.6754 (3,377 of 5,000 true pairs), F1 0.8063; with birth-date slips,
compound and call names, two slips into a rare spelling and the Fellegi–Sunter
weight of name, birth date and address: precision 1.0000, recall 0.8068. Most
misses left are a given name replaced by another or a birth date far off with
everything else equal: twins look the same, and c360 keeps such pairs apart
(`make eval-febrl` prints the misses by cause). The recall floor sits a little below the measured
figure and is raised as matching improves; precision must stay at 0.99 or more
whatever the rules become.
"""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest

from c360.local.evaluation.febrl import BUSINESS_DATE, load_mapping, map_febrl4, read_febrl, write_mapping
from c360.local.evaluation.pairs import evaluate, read_truth
from c360.warehouse.bootstrap import bootstrap
from tests.dbt_helpers import MODELS_ONLY, dbt_build, dbt_env

PRECISION_FLOOR = 0.99
RECALL_FLOOR = 0.78  # measured 0.8068: raise it as matching improves


@pytest.fixture(scope="module")
def febrl4(module_databases, tmp_path_factory):
    root = tmp_path_factory.mktemp("febrl4")
    warehouse_dsn, finance_dsn = module_databases
    mapping = map_febrl4()
    truth = root / "truth" / "identities.csv"
    write_mapping(mapping, finance_dsn, root / "landing", truth)
    bootstrap(warehouse_dsn)
    finance_report, store_report = load_mapping(finance_dsn, warehouse_dsn, root / "landing")
    dbt_build(dbt_env(warehouse_dsn, root / "home"), BUSINESS_DATE,
              "--select", "+customer_xref", *MODELS_ONLY)
    return {"dsn": warehouse_dsn, "mapping": mapping, "truth": truth,
           "finance": finance_report, "store": store_report,
           "scores": evaluate(warehouse_dsn, truth, sample_size=0)}


def test_every_febrl_record_is_mapped_once():
    a, b = read_febrl("dataset4a.csv"), read_febrl("dataset4b.csv")
    mapping = map_febrl4()
    assert len(mapping.accounts) == len(a) == 5000
    assert len(mapping.members) == len(b) == 5000
    assert mapping.accounts["account_id"].str.fullmatch(r"FA\d{7}").all()
    assert mapping.members["card_number"].str.fullmatch(r"\d{13}").all()
    assert mapping.accounts["account_id"].is_unique and mapping.members["card_number"].is_unique
    # each FEBRL person once on each side, as the person of the truth
    assert sorted(mapping.records["person_id"].astype(int)) == sorted(list(range(5000)) * 2)
    # every birth date is either a date or counted as missing or unparseable
    nulls = (mapping.accounts["date_of_birth"].isna().sum()
             + mapping.members["birth_date"].isna().sum())
    assert nulls == mapping.birth_dates_missing + mapping.birth_dates_unparseable
    assert mapping.birth_dates_unparseable > 0  # FEBRL does slip digits into impossible dates
    dates = pd.concat([mapping.accounts["date_of_birth"], mapping.members["birth_date"]]).dropna()
    assert dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_every_record_reached_the_raw_layer(febrl4):
    finance, store = febrl4["finance"], febrl4["store"]
    assert finance.rows_read == finance.rows_loaded == 5000
    assert store.rows_read == store.rows_loaded == 5000
    assert finance.rows_quarantined == store.rows_quarantined == 0
    with psycopg.connect(febrl4["dsn"]) as conn:
        accounts = conn.execute("select count(*) from raw_finance.accounts").fetchone()[0]
        members = conn.execute("select count(*) from raw_store.loyalty_members").fetchone()[0]
    assert (accounts, members) == (5000, 5000)


def test_truth_has_one_row_per_identity_bearing_record(febrl4):
    truth = read_truth(febrl4["truth"])  # refuses a repeated record
    mapping = febrl4["mapping"]
    assert len(truth) == len(mapping.accounts) + len(mapping.members)
    assert {(s, k) for s, k, _ in truth} == (
        {("finance", key) for key in mapping.accounts["account_id"]}
        | {("store", key) for key in mapping.members["card_number"]}
    )
    scores = febrl4["scores"]
    assert scores.records_compared == len(truth)
    assert scores.truth_records_missing_from_xref == scores.xref_records_missing_from_truth == 0
    assert scores.true_pairs == 5000


def test_precision_and_recall_on_febrl4(febrl4):
    scores = febrl4["scores"]
    assert scores.precision >= PRECISION_FLOOR, scores
    assert scores.recall >= RECALL_FLOOR, scores

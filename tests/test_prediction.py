"""Propensity per product line and the predicted CLV check (c360/prediction) against a real PostgreSQL.

Hand-made facts for what must hold exactly: features never read a row after T, scoring
a date twice leaves one set of rows, no model means no rows. A small simulated
population, loaded and built by the real loaders and dbt, for what the model must
learn: true labels rank buyers, shuffled ones do not, and customers the simulator made
more interested in a line score higher.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import psycopg
import pytest
from rich.console import Console

from c360.local.report.facts import RunFacts
from c360.local.report.sections import clv_table as clv_html
from c360.local.simulator.config import SimulationConfig
from c360.prediction import clv, scoring
from c360.prediction.backtest import auc
from c360.prediction.console import clv_table
from c360.prediction.features import FEATURES, features
from c360.prediction.registry import latest
from c360.prediction.training import fit, labelled, predict, train
from c360.warehouse.bootstrap import bootstrap
from tests.dbt_helpers import MODELS_ONLY, dbt_build, dbt_env, simulate_and_load

T = date(2026, 6, 30)
LINES = ["appliances", "solar"]
FACTS = """
create schema if not exists intermediate;
create schema if not exists marts;
create table intermediate.int_facts__purchases (
    customer_id text, channel text, order_ref text, purchase_date date, product_line text,
    amount numeric(12, 2), currency text);
create table intermediate.int_facts__web_events (
    customer_id text, session_id text, event_type text, event_date date, product_line text,
    engagement_points integer, is_research boolean);
create table intermediate.int_facts__contacts (
    customer_id text, contact_date date, reason text, is_complaint boolean);
create table marts.customer_360 (customer_id text, country_code text);
create table marts.dim_customer (customer_id text, date_of_birth date);
"""


def purchase(conn, customer: str, day: date, line: str, ref: str, channel: str = "store",
             amount: float = 100) -> None:
    conn.execute("insert into intermediate.int_facts__purchases values (%s, %s, %s, %s, %s, %s, 'EUR')",
                 (customer, channel, ref, day, line, amount))


@pytest.fixture
def facts(warehouse_dsn) -> str:
    """Two customers with a little history before T."""
    bootstrap(warehouse_dsn)
    with psycopg.connect(warehouse_dsn) as conn:
        conn.execute(FACTS)
        conn.execute("insert into marts.customer_360 values ('C1', 'NL'), ('C2', 'BE')")
        conn.execute("insert into marts.dim_customer values ('C1', '1980-05-01'), ('C2', null)")
        purchase(conn, "C1", T - timedelta(days=40), "appliances", "R1")
        purchase(conn, "C2", T - timedelta(days=5), "solar", "R2")
        conn.execute("""insert into intermediate.int_facts__web_events values
            ('C1', 'S1', 'page_view', %s, 'solar', 0, true),
            ('C2', 'S2', 'product_configured', %s, 'solar', 10, true)""",
                     (T - timedelta(days=3), T - timedelta(days=20)))
        conn.execute("insert into intermediate.int_facts__contacts values ('C1', %s, 'product_info', false)",
                     (T - timedelta(days=2),))
    return warehouse_dsn


def feature_rows(dsn: str, as_of: date = T) -> pd.DataFrame:
    with psycopg.connect(dsn) as conn:
        return features(conn, as_of, LINES).set_index(["customer_id", "product_line"])[list(FEATURES)]


def test_features_never_read_a_row_after_t(facts):
    before = feature_rows(facts)
    assert before.loc[("C1", "appliances"), "line_days_since_order"] == 40
    assert before.loc[("C2", "solar"), "line_configured_30d"] == 1
    assert before.loc[("C1", "solar"), "advice_contacts_30d"] == 1
    with psycopg.connect(facts) as conn:
        # a purchase, research, a contact and a first event of a new customer, all on T + 1
        after = T + timedelta(days=1)
        purchase(conn, "C1", after, "appliances", "R3")
        conn.execute("insert into intermediate.int_facts__web_events values"
                     " ('C1', 'S3', 'product_configured', %s, 'appliances', 10, true)", (after,))
        conn.execute("insert into intermediate.int_facts__contacts values ('C2', %s, 'complaint', true)",
                     (after,))
        conn.execute("insert into marts.customer_360 values ('C3', 'NL')")
        purchase(conn, "C3", after, "solar", "R4")
    pd.testing.assert_frame_equal(feature_rows(facts), before)

    # the same rows dated T do change them: the filter, not the data, kept them out
    on_t = feature_rows(facts, T + timedelta(days=1))
    assert on_t.loc[("C1", "appliances"), "line_days_since_order"] == 0
    assert on_t.loc[("C1", "appliances"), "line_configured_30d"] == 1
    assert on_t.loc[("C2", "solar"), "complaints_90d"] == 1
    assert "C3" in on_t.index.get_level_values("customer_id")


def clv_rows(dsn: str) -> pd.DataFrame:
    with psycopg.connect(dsn) as conn:
        return clv.customer_rows(conn, T, LINES).set_index("customer_id")


def test_the_clv_check_reads_nothing_after_t_and_counts_it_as_spend(facts):
    with psycopg.connect(facts) as conn:
        purchase(conn, "C2", T - timedelta(days=10), "solar", "B1", channel="finance", amount=30)
    before = clv_rows(facts)
    # the rule as dbt computes it: C1's 100 over a year, halved every 180 days since T - 40;
    # C2's 100 likewise since T - 5, plus 30 billed in the last 90 days, annualised
    assert before["rule_12m"].to_dict() == {"C1": 85.72, "C2": 219.76}
    assert before.loc["C1", "rule"] == pytest.approx(85.72 * 90 / 365)
    assert (before["actual"] == 0).all()
    with psycopg.connect(facts) as conn:
        purchase(conn, "C1", T + timedelta(days=1), "appliances", "R3")
        purchase(conn, "C2", T + timedelta(days=1), "solar", "B2", channel="finance", amount=30)
        purchase(conn, "C2", T + timedelta(days=90), "solar", "R4", amount=-20)  # a return, the last day
        purchase(conn, "C1", T + timedelta(days=91), "solar", "R5")  # after the horizon
    after = clv_rows(facts)
    pd.testing.assert_frame_equal(after.drop(columns="actual"), before.drop(columns="actual"))
    assert after["actual"].to_dict() == {"C1": 100, "C2": 10}


def test_clv_figures_on_a_hand_made_example():
    actual = np.array([0.0, 100.0, 300.0])
    result = clv.evaluate(actual, rule=np.array([50.0, 100.0, 100.0]), model=actual)
    assert result["rows"] == 3 and result["buyers"] == 2 and result["actual_total"] == 400
    assert result["rule"]["mae"] == pytest.approx(250 / 3)
    assert result["rule"]["spearman"] == pytest.approx(np.sqrt(3) / 2)  # ranks (1, 2.5, 2.5) vs (1, 2, 3)
    assert result["rule"]["total_ratio"] == pytest.approx(250 / 400)
    assert result["model"] == {"mae": 0.0, "spearman": pytest.approx(1.0), "total_ratio": 1.0}
    assert result["zero"]["mae"] == pytest.approx(400 / 3) and result["zero"]["spearman"] is None
    assert result["mean"]["mae"] == pytest.approx((400 / 3 + 100 / 3 + 500 / 3) / 3)
    assert result["mean"]["total_ratio"] == pytest.approx(1.0)


def test_without_a_model_nothing_is_scored_and_the_log_says_so(facts, caplog):
    with caplog.at_level(logging.WARNING, logger="c360.prediction.scoring"):
        result = scoring.score(facts, T)
    assert result.rows == 0 and result.models == {}
    assert "no propensity model trained through 2026-06-30" in caplog.text
    with psycopg.connect(facts) as conn:
        assert conn.execute("select count(*) from predictions.customer_propensity").fetchone() == (0,)


# --- a simulated population ---------------------------------------------------------------

START = date(2026, 1, 5)
DAYS = 84
# More journeys than the default rates, so 300 persons buy enough in 84 days to learn from.
BUSY = SimulationConfig(store_receipt_rate=0.03, web_session_rate=0.03)


@pytest.fixture(scope="module")
def simulated(module_databases, tmp_path_factory) -> tuple[str, pd.DataFrame, date]:
    """A built warehouse of a simulated population; (DSN, the persons' interests by customer, last day)."""
    warehouse, finance = module_databases
    root = tmp_path_factory.mktemp("simulated")
    bootstrap(warehouse)
    dates = simulate_and_load(warehouse, finance, root, people=300, days=DAYS, start=START,
                              seed=5, config=BUSY)
    dbt_build(dbt_env(warehouse, root / "home"), dates[-1], *MODELS_ONLY)
    truth = pd.read_csv(root / "truth" / "identities.csv", dtype=str)
    interests = pd.read_csv(root / "truth" / "interests.csv")
    with psycopg.connect(warehouse) as conn:
        xref = pd.DataFrame(conn.execute(
            "select customer_id, source_system, source_key from marts.customer_xref").fetchall(),
            columns=["customer_id", "source_system", "source_key"])
    # each customer's person: the one most of its records belong to
    persons = (xref.merge(truth, on=["source_system", "source_key"])
               .groupby("customer_id")["person_id"].agg(lambda p: p.mode().iloc[0]).reset_index())
    return warehouse, persons.merge(interests, on="person_id"), dates[-1]


def test_true_labels_rank_buyers_and_shuffled_labels_do_not(simulated):
    dsn, interests, last = simulated
    held_out = last - timedelta(days=30)
    lines = sorted(interests["product_line"].unique())
    with psycopg.connect(dsn) as conn:
        history = labelled(conn, tuple(held_out - timedelta(days=30 + 7 * k) for k in range(3)), lines)
        test = labelled(conn, (held_out,), lines)
    true_auc = auc(test["label"].to_numpy(), predict(fit(history), test))
    # a few shufflings, as one shuffled model on a few dozen buyers can be off by chance
    rng = np.random.default_rng(0)
    shuffled_auc = np.mean([
        auc(test["label"].to_numpy(),
            predict(fit(history.assign(label=rng.permutation(history["label"].to_numpy()))), test))
        for _ in range(5)])
    print(f"held-out AUC: true labels {true_auc:.3f}, shuffled {shuffled_auc:.3f};"
          f" {int(test['label'].sum())} buyers of {len(test)}")
    assert abs(shuffled_auc - 0.5) < 0.1
    assert true_auc > 0.65


def test_scores_follow_the_hidden_interest_and_scoring_twice_leaves_the_same_rows(simulated):
    dsn, interests, last = simulated
    with psycopg.connect(dsn) as conn:
        runs = train(conn, last, snapshots=3, step_days=7)
    assert {r.product_line for r in runs} <= set(interests["product_line"])
    first = scoring.score(dsn, last)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select * from predictions.customer_propensity order by 2, 3").fetchall()
        scored = pd.DataFrame(
            conn.execute("select customer_id, product_line, propensity from predictions.customer_propensity"
                         " where business_date = %s", (last,)).fetchall(),
            columns=["customer_id", "product_line", "propensity"])
    assert first.rows == len(rows) > 0
    assert scoring.score(dsn, last).rows == first.rows
    with psycopg.connect(dsn) as conn:
        again = conn.execute("select * from predictions.customer_propensity order by 2, 3").fetchall()
    strip = [r[:6] for r in rows]  # scored_at is when
    assert [r[:6] for r in again] == strip

    # within each line, customers the simulator made more interested get higher scores
    joined = scored.merge(interests, on=["customer_id", "product_line"])
    by_line = joined.groupby("product_line").apply(
        lambda g: g["propensity"].corr(g["interest"], method="spearman"), include_groups=False)
    print(by_line.round(3).to_dict())
    # a line with few buyers in 84 days is learnt barely; the most bought one clearly
    assert (by_line > 0).all() and by_line.mean() > 0.15, by_line
    assert by_line["appliances"] > 0.25, by_line


def test_the_clv_rule_is_customer_360s_and_its_backtest_is_kept_apart_and_printed(simulated):
    dsn, _, last = simulated
    with psycopg.connect(dsn) as conn:
        ours = clv.customer_rows(conn, last, LINES).set_index("customer_id")["rule_12m"]
        published = pd.Series(dict(conn.execute(
            "select customer_id, predicted_clv_12m::float from marts.customer_360").fetchall()))
        # as of the night dbt built, the point-in-time rule is the one customer_360 publishes
        pd.testing.assert_series_equal(ours, published.loc[ours.index], check_names=False)

        # 84 days hold no 90-day window before a backtest date: a two-week horizon instead
        run = clv.backtest(conn, last, horizon=14, snapshots=3, step_days=7)
        assert run is not None and run.kind == "clv" and run.backtest_date == last - timedelta(days=14)
        assert run.training_to == last - timedelta(days=28) and run.metrics["buyers"] > 0
        assert conn.execute("select product_line, kind from predictions.model_runs"
                            " where model_version = %s", (run.model_version,)).fetchone() == ("all", "clv")
        assert all(r.kind == "propensity" for r in latest(conn, last, with_model=False))

    console = Console(record=True, width=200)
    console.print(clv_table(run))
    text = console.export_text()
    assert "predict 0" in text and f"{run.metrics['rule']['mae']:.2f}" in text
    page = clv_html(RunFacts(written_at=datetime.now(UTC), first_date=None, last_date=None,
                             clv=(run.backtest_date, 14, run.metrics)))
    assert "regressor" in page and f"{run.metrics['buyers']:,} spent" in page

"""Predicted CLV checked against what customers then spent: the rule beside a regressor.

customer_360's predicted_clv_12m is a run-rate rule (int_metrics__value). Here it is
recomputed as of a backtest date B from the facts on or before B, with the clv_* vars of
dbt_project.yml, and scaled from 365 days to the horizon, since the warehouse rarely
holds a year after B. Beside it, a HistGradientBoostingRegressor on the propensity
features (each line's pivoted wide) and the rule's own figure, trained on earlier dates
whose horizon closed by B. Both are compared with the actual spend in (B, B + horizon]:
net revenue of every channel, as historical_clv counts it (returns lower it). The
population is the propensity one (features.py): profiled customers with an event on or
before B; a customer without a purchase has a rule figure of 0.

The figures: mean absolute error beside that of predicting 0 and the backtest's own mean
spend (a constant no model could know beforehand, so a generous reference), Spearman's
rank correlation, and total predicted over total spent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import yaml
from sklearn.ensemble import HistGradientBoostingRegressor

from c360.config import project_root
from c360.prediction.features import FEATURES, PURCHASES, features, product_lines
from c360.prediction.registry import ModelRun, save

HORIZON_DAYS = 90
SNAPSHOTS = 6
STEP_DAYS = 14
ALGORITHM = "HistGradientBoostingRegressor"
# Poisson: spend is never negative and mostly small, and its fit keeps the mean, so totals stay honest.
PARAMETERS = {"loss": "poisson", "learning_rate": 0.05, "max_iter": 150, "max_leaf_nodes": 15,
              "min_samples_leaf": 40, "l2_regularization": 1.0, "early_stopping": False,
              "random_state": 0}
LINE_FEATURES = tuple(f for f in FEATURES if f.startswith("line_"))
CUSTOMER_FEATURES = tuple(f for f in FEATURES if not f.startswith("line_"))

RULE_SQL = f"""
with params as (
    select %(as_of)s::date as as_of
),

lines as (
    select p.*
    from {PURCHASES} as p, params
    where p.customer_id is not null and p.currency = 'EUR' and p.purchase_date <= params.as_of
),

orders as (
    select customer_id, channel, order_ref, min(purchase_date) as order_date, sum(amount) as net
    from lines
    group by customer_id, channel, order_ref
),

retail as (
    select customer_id, min(order_date) as first_retail, max(order_date) as last_retail
    from orders
    where net > 0 and channel in ('store', 'web')
    group by customer_id
),

revenue as (
    select l.customer_id,
           coalesce(sum(l.amount) filter (where l.channel in ('store', 'web')), 0) as retail_revenue,
           coalesce(sum(l.amount) filter (
               where l.channel = 'finance' and l.purchase_date > params.as_of - %(recurring)s), 0)
               as recent_finance
    from lines as l, params
    group by l.customer_id
),

spend as (
    select p.customer_id, sum(p.amount) as actual
    from {PURCHASES} as p, params
    where p.customer_id is not null and p.currency = 'EUR'
      and p.purchase_date > params.as_of and p.purchase_date <= params.as_of + %(horizon)s
    group by p.customer_id
),

rule as (
    select r.customer_id,
           round(greatest(r.recent_finance, 0) * 365.0 / %(recurring)s
                 + coalesce(greatest(r.retail_revenue, 0)
                            / greatest(params.as_of - t.first_retail + 1, %(min_tenure)s) * 365
                            * power(0.5, (params.as_of - t.last_retail)::numeric / %(half_life)s), 0),
                 2) as rule_12m
    from revenue as r
    cross join params
    left join retail as t using (customer_id)
)

select coalesce(r.customer_id, s.customer_id) as customer_id,
       coalesce(r.rule_12m, 0) as rule_12m, coalesce(s.actual, 0) as actual
from rule as r
full join spend as s using (customer_id)
"""


def rule_vars() -> dict[str, int]:
    """The rule's parameters, from the dbt project that publishes it."""
    config = yaml.safe_load((project_root() / "dbt_project" / "dbt_project.yml").read_text())["vars"]
    return {"recurring": config["clv_recurring_window_days"],
            "min_tenure": config["clv_retail_min_tenure_days"],
            "half_life": config["clv_activity_half_life_days"]}


def customer_rows(conn: psycopg.Connection, as_of: date, lines: list[str],
                  horizon: int = HORIZON_DAYS) -> pd.DataFrame:
    """Per customer of the population as of `as_of`: the propensity features (line ones as
    `<line>:<feature>`), the rule's prediction for the horizon and the actual spend after it."""
    line_rows = features(conn, as_of, lines)
    if line_rows.empty:
        return pd.DataFrame()
    wide = line_rows.pivot(index="customer_id", columns="product_line", values=list(LINE_FEATURES))
    wide.columns = [f"{line}:{feature}" for feature, line in wide.columns]
    customers = line_rows.groupby("customer_id")[list(CUSTOMER_FEATURES)].first()
    cursor = conn.execute(RULE_SQL, {"as_of": as_of, "horizon": horizon, **rule_vars()})
    rule = pd.DataFrame(cursor.fetchall(), columns=["customer_id", "rule_12m", "actual"])
    rule = rule.set_index("customer_id").astype("float64")
    frame = customers.join(wide).join(rule).fillna({"rule_12m": 0.0, "actual": 0.0})
    frame["rule"] = frame["rule_12m"] * horizon / 365
    return frame.reset_index().assign(as_of=as_of)


def model_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in ("customer_id", "as_of", "rule_12m", "actual")]


def figures(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    """MAE, Spearman's rank correlation and total predicted / total actual of one predictor."""
    actual, predicted = np.asarray(actual, dtype="float64"), np.asarray(predicted, dtype="float64")
    # a constant (predicting 0 or the mean) ranks nobody
    constant = np.ptp(predicted) == 0 or np.ptp(actual) == 0
    total = actual.sum()
    return {"mae": float(np.abs(predicted - actual).mean()),
            "spearman": None if constant else float(pd.Series(predicted).corr(pd.Series(actual),
                                                                              method="spearman")),
            "total_ratio": float(predicted.sum() / total) if total else None}


def evaluate(actual: np.ndarray, rule: np.ndarray, model: np.ndarray) -> dict[str, Any]:
    """The rule's and the model's figures beside predicting 0 and the backtest's mean."""
    actual = np.asarray(actual, dtype="float64")
    return {
        "rows": int(len(actual)),
        "buyers": int((actual > 0).sum()),
        "actual_total": float(actual.sum()),
        "rule": figures(actual, rule),
        "model": figures(actual, model),
        "zero": figures(actual, np.zeros_like(actual)),
        "mean": figures(actual, np.full_like(actual, actual.mean())),
    }


def backtest(conn: psycopg.Connection, through: date, horizon: int = HORIZON_DAYS,
             snapshots: int = SNAPSHOTS, step_days: int = STEP_DAYS,
             progress: Callable[[str], None] = lambda step: None) -> ModelRun | None:
    """Backtest the rule and a regressor on B = through - horizon; keep the run in
    predictions.model_runs (kind 'clv'). None when no earlier window has a buyer to learn from."""
    at = through - timedelta(days=horizon)
    lines = product_lines(conn, at)
    progress("CLV: features and spend")
    dates = sorted(at - timedelta(days=horizon + step_days * k) for k in range(snapshots))
    # dates before the first event have no population
    parts = [part for part in (customer_rows(conn, day, lines, horizon) for day in dates) if not part.empty]
    held_out = customer_rows(conn, at, lines, horizon)
    if not parts or held_out.empty:
        return None
    history = pd.concat(parts, ignore_index=True)
    if not (history["actual"] > 0).any():
        return None
    progress("CLV: regressor")
    columns = model_columns(held_out)
    model = HistGradientBoostingRegressor(**PARAMETERS).fit(
        history[columns].to_numpy(), history["actual"].clip(lower=0).to_numpy())
    metrics = evaluate(held_out["actual"].to_numpy(), held_out["rule"].to_numpy(),
                       model.predict(held_out[columns].to_numpy()))
    recipe = repr((ALGORITHM, sorted(PARAMETERS.items()), columns, dates, horizon))
    run = ModelRun(
        model_version=f"clv-{through:%Y%m%d}-{hashlib.sha256(recipe.encode()).hexdigest()[:8]}",
        product_line="all", trained_through=through, training_from=history["as_of"].min(),
        training_to=history["as_of"].max(), backtest_date=at, label_days=horizon,
        features=tuple(columns), algorithm=ALGORITHM, training_rows=len(history),
        training_positives=int((history["actual"] > 0).sum()), metrics=metrics, model=model,
        kind="clv",
    )
    save(conn, run)
    return run

"""Train a propensity model per product line for a business date T, and backtest it first.

Feature dates go back from the latest whose label window has closed by T, every
`step_days`. The backtest model learns from the dates whose windows closed by the
backtest date B = T - LABEL_DAYS and is scored on B (labels (B, T]), so its figures
come from a window it never saw. The model kept for scoring learns the same way from
every date up to B. Both are scikit-learn's histogram gradient boosting, whose
log-loss fit gives probabilities rather than bare ranks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import psycopg
from sklearn.ensemble import HistGradientBoostingClassifier

from c360.prediction.backtest import baseline_score, evaluate
from c360.prediction.features import FEATURES, features, product_lines
from c360.prediction.labels import LABEL_DAYS, with_labels
from c360.prediction.registry import ModelRun, save

SNAPSHOTS = 6
STEP_DAYS = 14
ALGORITHM = "HistGradientBoostingClassifier"
# Shallow trees, a slow rate and large leaves: a line has few buyers in a month.
PARAMETERS = {"learning_rate": 0.05, "max_iter": 150, "max_leaf_nodes": 15,
              "min_samples_leaf": 40, "l2_regularization": 1.0, "early_stopping": False,
              "random_state": 0}


class NotEnoughHistory(RuntimeError):
    """The warehouse holds too few buyers before T to learn from."""


@dataclass(frozen=True)
class Plan:
    through: date
    backtest_date: date
    backtest_training: tuple[date, ...]
    training: tuple[date, ...]


def plan(through: date, snapshots: int = SNAPSHOTS, step_days: int = STEP_DAYS,
         label_days: int = LABEL_DAYS) -> Plan:
    backtest = through - timedelta(days=label_days)

    def dates(last: date) -> tuple[date, ...]:
        return tuple(sorted(last - timedelta(days=step_days * k) for k in range(snapshots)))

    return Plan(through, backtest, dates(backtest - timedelta(days=label_days)), dates(backtest))


def fit(frame: pd.DataFrame) -> HistGradientBoostingClassifier:
    model = HistGradientBoostingClassifier(**PARAMETERS)
    return model.fit(frame[list(FEATURES)].to_numpy(), frame["label"].to_numpy())


def predict(model: HistGradientBoostingClassifier, frame: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(frame[list(FEATURES)].to_numpy())[:, 1]


def labelled(conn: psycopg.Connection, dates: tuple[date, ...], lines: list[str],
             label_days: int = LABEL_DAYS) -> pd.DataFrame:
    """Features and labels of every date, stacked (a customer appears once per date)."""
    return pd.concat(
        [with_labels(conn, features(conn, day, lines), day, label_days).assign(as_of=day)
         for day in dates], ignore_index=True)


def model_version(line: str, p: Plan) -> str:
    recipe = repr((ALGORITHM, sorted(PARAMETERS.items()), FEATURES, p.training, p.backtest_training))
    return f"{line}-{p.through:%Y%m%d}-{hashlib.sha256(recipe.encode()).hexdigest()[:8]}"


def train(conn: psycopg.Connection, through: date, snapshots: int = SNAPSHOTS,
          step_days: int = STEP_DAYS, progress: Callable[[str], None] = lambda step: None
          ) -> list[ModelRun]:
    """Backtest, train and keep a model per product line; returns the runs kept."""
    p = plan(through, snapshots, step_days)
    lines = product_lines(conn, through)
    progress("features and labels")
    history = labelled(conn, tuple(sorted({*p.backtest_training, *p.training})), lines)
    backtest_rows = labelled(conn, (p.backtest_date,), lines)
    runs = []
    for line in lines:
        progress(line)
        rows = history[history["product_line"] == line]
        before = rows[rows["as_of"].isin(p.backtest_training)]
        scoring = rows[rows["as_of"].isin(p.training)]
        held_out = backtest_rows[backtest_rows["product_line"] == line]
        if before["label"].sum() == 0 or scoring["label"].sum() == 0:
            progress(f"{line}: no buyers in the training windows, no model")
            continue
        metrics = evaluate(held_out["label"].to_numpy(), predict(fit(before), held_out),
                           baseline_score(held_out))
        run = ModelRun(
            model_version=model_version(line, p), product_line=line, trained_through=through,
            training_from=p.training[0], training_to=p.training[-1], backtest_date=p.backtest_date,
            label_days=LABEL_DAYS, features=FEATURES, algorithm=ALGORITHM,
            training_rows=len(scoring), training_positives=int(scoring["label"].sum()),
            metrics=metrics, model=fit(scoring),
        )
        save(conn, run)
        runs.append(run)
    if not runs:
        raise NotEnoughHistory(
            f"no product line has buyers in the label windows before {through}: "
            f"training needs purchases from {p.backtest_training[0]} on")
    return runs

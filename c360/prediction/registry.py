"""Models and their backtest in predictions.model_runs: training writes, scoring and the report read."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


@dataclass(frozen=True)
class ModelRun:
    model_version: str
    product_line: str
    trained_through: date
    training_from: date
    training_to: date
    backtest_date: date
    label_days: int
    features: tuple[str, ...]
    algorithm: str
    training_rows: int
    training_positives: int
    metrics: dict[str, Any]
    model: Any
    trained_at: datetime | None = None
    kind: str = "propensity"


def save(conn: psycopg.Connection, run: ModelRun) -> None:
    """Keep a model run; training the same recipe through the same date again replaces it."""
    conn.execute(
        """insert into predictions.model_runs
               (model_version, product_line, trained_through, training_from, training_to,
                backtest_date, label_days, features, algorithm, training_rows, training_positives,
                metrics, model, kind)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           on conflict (model_version) do update set
               trained_at = now(), metrics = excluded.metrics, model = excluded.model,
               training_rows = excluded.training_rows, training_positives = excluded.training_positives""",
        (run.model_version, run.product_line, run.trained_through, run.training_from,
         run.training_to, run.backtest_date, run.label_days, list(run.features), run.algorithm,
         run.training_rows, run.training_positives, Jsonb(run.metrics), pickle.dumps(run.model), run.kind),
    )


LATEST_SQL = """
select distinct on (product_line)
       model_version, product_line, trained_through, training_from, training_to, backtest_date,
       label_days, features, algorithm, training_rows, training_positives, metrics, {model}, trained_at
from predictions.model_runs
where kind = 'propensity' and trained_through <= %s
order by product_line, trained_through desc, trained_at desc
"""


def latest(conn: psycopg.Connection, as_of: date, with_model: bool = True) -> list[ModelRun]:
    """Per product line, the model trained last through `as_of` at the latest (a re-run of an
    older date scores with the model it had)."""
    rows = conn.execute(LATEST_SQL.format(model="model" if with_model else "null"), (as_of,))
    return [
        ModelRun(version, line, through, start, end, backtest, days, tuple(features), algorithm,
                 rows_, positives, metrics, pickle.loads(model) if model is not None else None,
                 trained_at)
        for (version, line, through, start, end, backtest, days, features, algorithm, rows_,
             positives, metrics, model, trained_at) in rows.fetchall()
    ]

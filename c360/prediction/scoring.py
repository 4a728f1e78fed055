"""Score every profiled customer per product line as of the business date, idempotently.

The scores of T replace T's rows in one transaction, so a retried or re-run night
leaves one set. A line without a model trained through T gets no rows: no model, no
scores, and the log says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import psycopg

from c360.prediction.features import features
from c360.prediction.registry import latest
from c360.prediction.training import predict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scored:
    business_date: date
    rows: int
    models: dict[str, str]  # product line -> model version


def deciles(scores: np.ndarray) -> np.ndarray:
    """1 for the tenth with the highest scores, 10 for the lowest (ties in their given order)."""
    ranks = np.empty(len(scores), dtype="int64")
    ranks[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
    return (ranks * 10 // max(len(scores), 1) + 1).astype("int16")


def score(dsn: str, business_date: date) -> Scored:
    with psycopg.connect(dsn) as conn:
        models = latest(conn, business_date)
        conn.execute("delete from predictions.customer_propensity where business_date = %s",
                     (business_date,))
        if not models:
            log.warning("no propensity model trained through %s in predictions.model_runs: nothing "
                        "scored; train one with `c360 train --date` or the c360_train_propensity DAG",
                        business_date)
            return Scored(business_date, 0, {})
        frame = features(conn, business_date, [m.product_line for m in models])
        parts = []
        for run in models:
            rows = frame[frame["product_line"] == run.product_line]
            scores = predict(run.model, rows)
            parts.append(pd.DataFrame({
                "customer_id": rows["customer_id"].to_numpy(), "product_line": run.product_line,
                "propensity": scores, "decile": deciles(scores), "model_version": run.model_version,
            }))
        scored = pd.concat(parts, ignore_index=True)
        with conn.cursor().copy(
            "copy predictions.customer_propensity (business_date, customer_id, product_line,"
            " propensity, decile, model_version) from stdin"
        ) as copy:
            for row in scored.itertuples(index=False):
                copy.write_row((business_date, row.customer_id, row.product_line,
                                float(row.propensity), int(row.decile), row.model_version))
    versions = {m.product_line: m.model_version for m in models}
    log.info("scored %d customer x product line rows for %s with %s", len(scored), business_date, versions)
    return Scored(business_date, len(scored), versions)

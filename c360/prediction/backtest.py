"""How well scores rank and how honest they are, on a window the model did not see.

AUC; lift in the top decile (the buyers' share among the tenth scored highest, over
their share among all); calibration in ten bins of equal size by score (mean score
beside the observed rate) and the Brier score beside that of the base rate. The
baseline is what a marketer would do without a model: rank by purchases of the line
in the last year, then by how recently the last one was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

BINS = 10


def baseline_score(frame: pd.DataFrame) -> np.ndarray:
    """Recency-frequency: purchases of the line in 365 days, ties broken by recency."""
    return (frame["line_orders_365d"] + 1.0 / (1.0 + frame["line_days_since_order"])).to_numpy()


def top_decile_lift(labels: np.ndarray, scores: np.ndarray) -> float | None:
    if labels.sum() == 0:
        return None
    order = np.argsort(-scores, kind="stable")
    top = labels[order[: max(1, int(np.ceil(len(labels) / BINS)))]]
    return float(top.mean() / labels.mean())


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else None


def calibration(labels: np.ndarray, probabilities: np.ndarray) -> list[dict[str, float]]:
    """Ten bins of equal size from the lowest scores up: mean score, observed rate, rows."""
    order = np.argsort(probabilities, kind="stable")
    return [
        {"mean_predicted": float(probabilities[part].mean()), "observed_rate": float(labels[part].mean()),
         "rows": int(len(part))}
        for part in np.array_split(order, BINS) if len(part)
    ]


def evaluate(labels: np.ndarray, probabilities: np.ndarray, baseline: np.ndarray) -> dict:
    """The figures model_runs keeps, the model's and the baseline's."""
    labels = np.asarray(labels, dtype="int64")
    base_rate = float(labels.mean()) if len(labels) else 0.0
    bins = calibration(labels, probabilities)
    rows = sum(b["rows"] for b in bins)
    return {
        "rows": int(len(labels)),
        "positives": int(labels.sum()),
        "auc": auc(labels, probabilities),
        "top_decile_lift": top_decile_lift(labels, probabilities),
        "brier": float(brier_score_loss(labels, probabilities)) if len(labels) else None,
        "brier_base_rate": base_rate * (1 - base_rate),
        # the mean gap between score and outcome over the bins, weighted by rows
        "calibration_error": sum(abs(b["mean_predicted"] - b["observed_rate"]) * b["rows"]
                                 for b in bins) / rows if rows else None,
        "calibration": bins,
        "baseline": {"auc": auc(labels, baseline), "top_decile_lift": top_decile_lift(labels, baseline)},
    }

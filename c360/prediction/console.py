"""The backtests of `c360 train` as tables: each line's propensity model beside the recency-frequency
baseline, and predicted CLV's rule beside a regressor and naive guesses."""

from __future__ import annotations

from rich.table import Table

from c360.prediction.clv import ALGORITHM
from c360.prediction.registry import ModelRun


def _figure(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def backtest_table(runs: list[ModelRun]) -> Table:
    table = Table(title="propensity backtest (30-day purchase of the line)")
    for column in ("product line", "backtest date", "rows", "buyers", "AUC", "baseline AUC",
                   "top-decile lift", "baseline lift", "Brier", "base-rate Brier",
                   "calibration error", "top bin: score / observed"):
        table.add_column(column, justify="left" if column == "product line" else "right")
    for run in runs:
        m = run.metrics
        top = m["calibration"][-1]
        table.add_row(
            run.product_line, str(run.backtest_date), str(m["rows"]), str(m["positives"]),
            _figure(m["auc"]), _figure(m["baseline"]["auc"]),
            _figure(m["top_decile_lift"], 2), _figure(m["baseline"]["top_decile_lift"], 2),
            _figure(m["brier"], 4), _figure(m["brier_base_rate"], 4), _figure(m["calibration_error"], 4),
            f"{top['mean_predicted']:.3f} / {top['observed_rate']:.3f}",
        )
    return table


CLV_PREDICTORS = (("rule", "rule (predicted_clv_12m, scaled)"), ("model", ALGORITHM),
                  ("zero", "predict 0"), ("mean", "predict the mean spend"))


def clv_table(run: ModelRun) -> Table:
    """The CLV backtest: the rule customer_360 publishes, the regressor, and two naive guesses."""
    m = run.metrics
    table = Table(title=f"predicted CLV backtest: spend in the {run.label_days} days after"
                        f" {run.backtest_date} ({m['rows']} customers, {m['buyers']} spent,"
                        f" {m['actual_total']:,.0f} in all)")
    for column in ("predictor", "MAE", "Spearman", "predicted / actual total"):
        table.add_column(column, justify="left" if column == "predictor" else "right")
    for key, label in CLV_PREDICTORS:
        figures = m[key]
        table.add_row(label, _figure(figures["mae"], 2), _figure(figures["spearman"]),
                      _figure(figures["total_ratio"], 2))
    return table


"""The backtest of `c360 train` as a table: each line's model beside the recency-frequency baseline."""

from __future__ import annotations

from rich.table import Table

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

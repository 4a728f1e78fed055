"""Propensity per product line: who is likely to buy which line in the next 30 days.

One job per module: `features` (a customer's picture as of a business date, in SQL),
`labels` (what they bought after it), `training` (a scikit-learn model per line),
`backtest` (its AUC, lift and calibration beside a recency-frequency baseline on a
later window), `registry` (models and their metrics in predictions.model_runs) and
`scoring` (tonight's scores in predictions.customer_propensity).
"""

"""The label of a customer and product line as of T: a purchase of the line in (T, T + 30 days].

A purchase as the features count one (features.py): a store or web order with a
positive net amount. A label is only known once its window has closed, so training
for a business date uses feature dates at least LABEL_DAYS before it.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import psycopg

from c360.prediction.features import PURCHASES

LABEL_DAYS = 30

LABEL_SQL = f"""
select distinct customer_id, product_line
from (
    select customer_id, product_line
    from {PURCHASES}
    where customer_id is not null and currency = 'EUR' and channel in ('store', 'web')
      and purchase_date > %(as_of)s::date and purchase_date <= %(as_of)s::date + %(days)s
    group by customer_id, product_line, channel, order_ref
    having sum(amount) > 0
) as orders
"""


def with_labels(conn: psycopg.Connection, frame: pd.DataFrame, as_of: date,
                days: int = LABEL_DAYS) -> pd.DataFrame:
    """`frame` (features as of `as_of`) with `label`: 1 when the customer bought the line after it."""
    bought = pd.DataFrame(conn.execute(LABEL_SQL, {"as_of": as_of, "days": days}).fetchall(),
                          columns=["customer_id", "product_line"])
    bought["label"] = 1
    labelled = frame.merge(bought, on=["customer_id", "product_line"], how="left")
    labelled["label"] = labelled["label"].fillna(0).astype("int64")
    return labelled

"""Propensity scores: what the night scored is a probability, a decile, once per customer and line.

Checks the night's rows of predictions.customer_propensity (what the published mart
carries); no model trained yet means no rows, which passes.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.orchestration.pipeline import GOLDEN_RECORD
from c360.quality.checks import Check
from c360.quality.contract import BUSINESS_DATE_SQL, CUSTOMER_360, CUSTOMER_ID
from c360.quality.suites.common import required
from c360.quality.thresholds import Thresholds

SCORES = f"""
    select p.{CUSTOMER_ID} || ':' || p.product_line as row_key,
           p.{CUSTOMER_ID}, p.product_line, p.propensity, p.decile,
           (c.{CUSTOMER_ID} is not null) as is_profiled
    from predictions.customer_propensity as p
    left join {CUSTOMER_360} as c using ({CUSTOMER_ID})
    where p.business_date = {BUSINESS_DATE_SQL}
"""


def checks(t: Thresholds) -> list[Check]:
    return [
        Check(
            name=f"{GOLDEN_RECORD}__propensity", owner=GOLDEN_RECORD, suite="propensity_scores",
            query=SCORES,
            expectations=[
                required(CUSTOMER_ID),
                gxe.ExpectColumnValuesToBeBetween(
                    column="propensity", min_value=0, max_value=1,
                    description="a propensity is a probability"),
                gxe.ExpectColumnValuesToBeBetween(column="decile", min_value=1, max_value=10),
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=[CUSTOMER_ID, "product_line"],
                    description="one score per customer and product line"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="is_profiled", value_set=[True],
                    description="only profiled customers (neither erased nor restricted) are scored"),
            ],
        ),
    ]

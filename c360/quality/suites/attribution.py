"""Attribution: each model's credits add up to the revenue of the purchases they share out.

For every conversion table (marts/attribution), attribution model and purchase month, the
attributed revenue equals the month's purchase revenue in marts.attribution_purchase_totals,
to the cent, in both directions: a month with purchases but no credits in some table or model
fails, and so does one with credits but no purchases. No month lies after the business date.
The totals carry no customer, so the privacy step's erasure of tonight's per-customer rows
leaves them as the conversion tables were built.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.orchestration.pipeline import GOLDEN_RECORD
from c360.quality.checks import Check
from c360.quality.contract import BUSINESS_DATE_SQL
from c360.quality.thresholds import Thresholds

CONVERSION_TABLES = ("attribution_by_content", "attribution_by_campaign", "attribution_by_product_line")
ATTRIBUTION_MODELS = ("first_touch", "last_touch", "position_based")
PURCHASE_TOTALS = "marts.attribution_purchase_totals"


def _values(names: tuple[str, ...]) -> str:
    return ", ".join(f"('{name}')" for name in names)


ATTRIBUTED = " union all ".join(
    f"select '{table}' as conversion_table, attribution_model, purchase_month,"
    f" sum(attributed_revenue) as revenue from marts.{table} group by 2, 3"
    for table in CONVERSION_TABLES
)

RECONCILED = f"""
    with expected as (
        select t.conversion_table, m.attribution_model, p.purchase_month, p.revenue
        from {PURCHASE_TOTALS} as p
        cross join (values {_values(CONVERSION_TABLES)}) as t (conversion_table)
        cross join (values {_values(ATTRIBUTION_MODELS)}) as m (attribution_model)
    ),
    attributed as ({ATTRIBUTED})
    select conversion_table || ':' || attribution_model || ':' || purchase_month as row_key,
           attribution_model,
           coalesce(a.revenue, 0) - coalesce(e.revenue, 0) as unreconciled_revenue,
           purchase_month <= {BUSINESS_DATE_SQL} as is_not_after_business_date
    from expected as e
    full join attributed as a using (conversion_table, attribution_model, purchase_month)
"""


def checks(t: Thresholds) -> list[Check]:
    return [
        Check(
            name=f"{GOLDEN_RECORD}__attribution", owner=GOLDEN_RECORD, suite="attribution",
            query=RECONCILED,
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column="unreconciled_revenue", min_value=0, max_value=0,
                    description="per conversion table, attribution model and month, the attributed "
                    "revenue equals the revenue of the month's purchases"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="attribution_model", value_set=list(ATTRIBUTION_MODELS),
                    description="only the declared attribution models"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="is_not_after_business_date", value_set=[True],
                    description="no purchase month after the business date"),
            ],
        ),
    ]

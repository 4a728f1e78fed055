"""History: the night's snapshot and the segment membership stretches agree with tonight's
candidates (dbt_project/models/marts/history).

customer_360_daily holds each customer of customer_360 exactly once for the business date,
and nobody else. segment_membership_history's stretches of one customer and segment never
overlap, each ends after it starts, and the open ones are exactly tonight's segment members
(customer_segments holds tonight's members only). No SQL comments: the gate runs each query on one line.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.orchestration.pipeline import GOLDEN_RECORD, SEGMENTS
from c360.quality.checks import Check
from c360.quality.contract import BUSINESS_DATE_SQL
from c360.quality.thresholds import Thresholds

SNAPSHOT_ROWS = f"""
    with tonight as (
        select customer_id, count(*) as snapshot_rows
        from marts.customer_360_daily
        where business_date = {BUSINESS_DATE_SQL}
        group by customer_id
    )
    select customer_id as row_key, coalesce(t.snapshot_rows, 0) as snapshot_rows,
           c.customer_id is not null as is_in_customer_360
    from marts.customer_360 as c
    full join tonight as t using (customer_id)
"""

STRETCHES = """
    select h.customer_id || ':' || h.segment || ':' || h.entered_on as row_key,
           (select count(*) from marts.segment_membership_history as o
            where o.customer_id = h.customer_id and o.segment = h.segment and o.entered_on <> h.entered_on
              and daterange(o.entered_on, o.left_on) && daterange(h.entered_on, h.left_on)
           ) as overlapping_stretches,
           coalesce(h.left_on > h.entered_on, true) as ends_after_it_starts
    from marts.segment_membership_history as h
"""

OPEN_STRETCHES = """
    with open_stretches as (
        select customer_id, segment from marts.segment_membership_history where left_on is null
    ),
    members as (
        select customer_id, segment from marts.customer_segments
    )
    select customer_id || ':' || segment as row_key,
           (o.customer_id is not null) = (m.customer_id is not null) as is_open_exactly_when_a_member
    from open_stretches as o
    full join members as m using (customer_id, segment)
"""


def checks(t: Thresholds) -> list[Check]:
    return [
        Check(
            name=f"{GOLDEN_RECORD}__customer_360_daily", owner=GOLDEN_RECORD, suite="history_snapshot",
            query=SNAPSHOT_ROWS,
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column="snapshot_rows", min_value=1, max_value=1,
                    description="one snapshot row per customer of customer_360 for the business date"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="is_in_customer_360", value_set=[True],
                    description="no snapshot row for the business date of a customer not in customer_360"),
            ],
        ),
        Check(
            name=f"{SEGMENTS}__segment_membership_history", owner=SEGMENTS, suite="history_stretches",
            query=STRETCHES,
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column="overlapping_stretches", min_value=0, max_value=0,
                    description="no two stretches of one customer and segment overlap"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="ends_after_it_starts", value_set=[True],
                    description="a stretch is left after the night it was entered"),
            ],
        ),
        Check(
            name=f"{SEGMENTS}__segment_membership_open", owner=SEGMENTS, suite="history_open_stretches",
            query=OPEN_STRETCHES,
            expectations=[
                gxe.ExpectColumnValuesToBeInSet(
                    column="is_open_exactly_when_a_member", value_set=[True],
                    description="the open stretches are exactly tonight's segment members"),
            ],
        ),
    ]

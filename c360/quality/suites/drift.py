"""Segment-size drift: each segment within a tolerance of its last published size.

The ratio divides out the growth of the customer base since that publication
(marts.customer_360 now over published.customer_360 then), so a change that new
data volume explains is not drift. A segment that has never been published has
no ratio and is not judged, nor is one whose last published size is too small
for a ratio to mean anything (a segment of 3 that becomes 7 is noise); one that
vanished has size 0.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.orchestration.pipeline import SEGMENTS
from c360.quality.checks import Check, parameter
from c360.quality.contract import CUSTOMER_360, CUSTOMER_SEGMENTS, PUBLISHED_CUSTOMER_360, SEGMENT
from c360.quality.thresholds import Thresholds


def segment_sizes(t: Thresholds) -> str:
    # The ratio is float8: GX warns about every numeric it serialises.
    return f"""
    with current_sizes as (
        select {SEGMENT} as segment, count(*) as size from {CUSTOMER_SEGMENTS} group by {SEGMENT}
    ),
    last_sizes as (
        select segment, size from ops.published_segment_sizes
        where publication_id = (select max(publication_id) from ops.published_segment_sizes)
    ),
    growth as (
        select (select count(*) from {CUSTOMER_360})::numeric / nullif((
            select row_count from ops.publications where relation = '{PUBLISHED_CUSTOMER_360}'
            order by publication_id desc limit 1
        ), 0) as base_ratio
    ),
    sizes as (
        select segment, coalesce(c.size, 0) as size, l.size as last_published_size
        from current_sizes as c full join last_sizes as l using (segment)
    )
    select segment || ' (now ' || size || ', last published ' || coalesce(last_published_size::text, 'never')
               || ')' as row_key,
           size, last_published_size,
           (case when last_published_size >= {t.min_drift_segment_size}
               then size::numeric / last_published_size / coalesce(g.base_ratio, 1) end)::float8
               as size_ratio
    from sizes cross join growth as g
"""


def checks(t: Thresholds) -> list[Check]:
    return [
        Check(
            name=f"{SEGMENTS}__size_drift", owner=SEGMENTS, suite="segment_size_drift",
            query=segment_sizes(t),
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column="size_ratio", min_value=parameter("min_drift_ratio"),
                    max_value=parameter("max_drift_ratio"),
                    description="segment size over its last published size, "
                    "corrected for the growth of the customer base",
                ),
            ],
        ),
    ]

"""Consent in segments and next best activities: nobody erased, restricted or without
marketing consent in a marketing segment or given an offer.

Which segments and activities need consent is declared once, with them
(c360.publishing.segments and c360.publishing.activities: `requires_marketing_consent`),
and read at every gate run, so one a marketer adds is checked without re-declaring the
suites. One that is not declared is consent-checked too. An erased or restricted
customer gets no activity at all, not even a service one. The activities must all be for
the night's business date (a stale or mixed build of the history is not published; each
failing row names the date it was built for), one per customer.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.orchestration.pipeline import SEGMENTS
from c360.publishing.activities import load_activities
from c360.publishing.segments import load_segments
from c360.quality.checks import Check, parameter
from c360.quality.contract import (
    ACTIVITY,
    BUSINESS_DATE_SQL,
    CUSTOMER_ID,
    CUSTOMER_SEGMENTS,
    DIM_CUSTOMER,
    IS_ERASED,
    IS_RESTRICTED,
    MARKETING_CONSENT,
    NEXT_BEST_ACTIVITY,
    SEGMENT,
)
from c360.quality.thresholds import Thresholds

# Members who may not receive marketing, with the reason; a member missing from
# the golden record counts as one without consent.
NOT_MARKETABLE_MEMBERS = f"""
    select s.{SEGMENT} || ':' || s.{CUSTOMER_ID} || ':' || case
               when coalesce(c.{IS_ERASED}, false) then 'erased'
               when coalesce(c.{IS_RESTRICTED}, false) then 'restricted'
               else 'no marketing consent' end as row_key,
           s.{SEGMENT}
    from {CUSTOMER_SEGMENTS} as s
    left join {DIM_CUSTOMER} as c on c.{CUSTOMER_ID} = s.{CUSTOMER_ID}
    where coalesce(c.{IS_ERASED}, false) or coalesce(c.{IS_RESTRICTED}, false)
       or not coalesce(c.{MARKETING_CONSENT}, false)
"""


# Tonight's activities with the date they were built for and the customer's state; a
# customer missing from the golden record counts as one neither profiled nor consenting.
ACTIVITY_AUDIENCE = f"""
    select a.{CUSTOMER_ID} || ':' || a.{ACTIVITY} || ':' || case
               when c.{CUSTOMER_ID} is null then 'not in the golden record'
               when coalesce(c.{IS_ERASED}, false) then 'erased'
               when coalesce(c.{IS_RESTRICTED}, false) then 'restricted'
               when not coalesce(c.{MARKETING_CONSENT}, false) then 'no marketing consent'
               else 'marketable' end || ':' || coalesce(a.business_date::text, 'no date') as row_key,
           a.{CUSTOMER_ID},
           coalesce(a.business_date = {BUSINESS_DATE_SQL}, false) as is_for_business_date,
           (c.{CUSTOMER_ID} is not null and not coalesce(c.{IS_ERASED}, false)
            and not coalesce(c.{IS_RESTRICTED}, false)) as is_profiled,
           case when not coalesce(c.{MARKETING_CONSENT}, false) then a.{ACTIVITY} end
               as activity_without_consent
    from {NEXT_BEST_ACTIVITY} as a
    left join {DIM_CUSTOMER} as c on c.{CUSTOMER_ID} = a.{CUSTOMER_ID}
"""


def expectation_parameters() -> dict[str, list[str]]:
    """The segments that may hold customers without consent (service and suppression lists),
    and the activities that may reach them (service)."""
    return {
        "segments_without_consent": sorted(
            s.name for s in load_segments() if not s.requires_marketing_consent
        ),
        "activities_without_consent": sorted(
            a.name for a in load_activities() if not a.requires_marketing_consent
        ),
    }


def checks(t: Thresholds) -> list[Check]:
    return [
        Check(
            name=f"{SEGMENTS}__consent", owner=SEGMENTS, suite="segment_consent",
            query=NOT_MARKETABLE_MEMBERS,
            expectations=[
                gxe.ExpectColumnValuesToBeInSet(
                    column=SEGMENT, value_set=parameter("segments_without_consent"),
                    description="customers without marketing consent (or erased, or restricted) "
                    "are only in segments declared with requires_marketing_consent: false",
                ),
            ],
        ),
        Check(
            name=f"{SEGMENTS}__activity_consent", owner=SEGMENTS, suite="activity_consent",
            query=ACTIVITY_AUDIENCE,
            expectations=[
                gxe.ExpectColumnValuesToBeInSet(
                    column="is_for_business_date", value_set=[True],
                    description="every activity is for the night's business date, not a stale or "
                    "mixed build: the failing rows name the date they were built for"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="is_profiled", value_set=[True],
                    description="no activity for an erased or restricted customer, nor one "
                    "missing from the golden record"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="activity_without_consent", value_set=parameter("activities_without_consent"),
                    description="a customer without marketing consent gets only activities declared "
                    "with requires_marketing_consent: false"),
                gxe.ExpectColumnValuesToBeUnique(
                    column=CUSTOMER_ID, description="one next best activity per customer for the date"),
            ],
        ),
    ]

"""Consent in segments: nobody erased, restricted or without marketing consent in a marketing segment.

Which segments are for marketing is declared once, with the segments
(c360.publishing.segments: `requires_marketing_consent`), and read at every gate run, so
a segment a marketer adds is checked without re-declaring the suites. A
segment that is not declared is consent-checked too.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.orchestration.pipeline import SEGMENTS
from c360.publishing.segments import load_segments
from c360.quality.checks import Check, parameter
from c360.quality.contract import (
    CUSTOMER_ID,
    CUSTOMER_SEGMENTS,
    DIM_CUSTOMER,
    IS_ERASED,
    IS_RESTRICTED,
    MARKETING_CONSENT,
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


def expectation_parameters() -> dict[str, list[str]]:
    """The segments that may hold customers without consent (service and suppression lists)."""
    return {
        "segments_without_consent": sorted(
            s.name for s in load_segments() if not s.requires_marketing_consent
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
    ]

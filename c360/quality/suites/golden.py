"""The golden record and the xref: one id per customer, each identity-bearing record once, no runaways."""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.pipeline import CONTACT_CENTER, FINANCE, GOLDEN_RECORD, STORE, WEB
from c360.quality.checks import Check, parameter
from c360.quality.contract import CUSTOMER_ID, CUSTOMER_XREF, DIM_CUSTOMER, SOURCE_KEY, SOURCE_SYSTEM
from c360.quality.suites.common import required
from c360.quality.thresholds import Thresholds

# Identity-bearing source records as contracts/SOURCES.md lists them. Records
# that an erasure request names by their own key may leave the xref.
IDENTITY_RECORDS = f"""
    with identity_records as (
        select distinct '{FINANCE}' as source_system, account_id as source_key
        from raw_finance.accounts
        union
        select '{STORE}', card_number from raw_store.loyalty_members where card_number is not null
        union
        select '{WEB}', anonymous_id from raw_web.events
        where anonymous_id is not null and (user_id is not null or traits is not null)
        union
        select '{CONTACT_CENTER}', interaction_id from raw_contact_center.interactions
        where interaction_id is not null
          and coalesce(customer_ref, caller_name, caller_phone, caller_email) is not null
    ),
    erased_keys as (
        select '{FINANCE}' as source_system, upper(account_id) as source_key
        from raw_privacy.requests where request_type = 'erasure' and account_id is not null
        union
        select '{STORE}', card_number
        from raw_privacy.requests where request_type = 'erasure' and card_number is not null
    )
    select r.source_system || ':' || r.source_key as row_key, x.{CUSTOMER_ID}
    from identity_records as r
    left join {CUSTOMER_XREF} as x
        on x.{SOURCE_SYSTEM} = r.source_system and x.{SOURCE_KEY} = r.source_key
    where (r.source_system, r.source_key) not in (select source_system, source_key from erased_keys)
"""


def checks(t: Thresholds) -> list[Check]:
    return [
        Check(
            name=f"{GOLDEN_RECORD}__customer_id", owner=GOLDEN_RECORD, suite="golden_record_customer_id",
            query=f"select {CUSTOMER_ID} as row_key, {CUSTOMER_ID} from {DIM_CUSTOMER}",
            expectations=[required(CUSTOMER_ID), gxe.ExpectColumnValuesToBeUnique(column=CUSTOMER_ID)],
        ),
        Check(
            name=f"{GOLDEN_RECORD}__xref", owner=GOLDEN_RECORD, suite="golden_record_xref",
            query=f"""select {SOURCE_SYSTEM} || ':' || {SOURCE_KEY} as row_key,
                          {CUSTOMER_ID}, {SOURCE_SYSTEM}, {SOURCE_KEY}
                      from {CUSTOMER_XREF}""",
            expectations=[
                required(CUSTOMER_ID),
                required(SOURCE_KEY),
                gxe.ExpectColumnValuesToBeInSet(
                    column=SOURCE_SYSTEM, value_set=sorted((FINANCE, CONTACT_CENTER, WEB, STORE)),
                ),
                gxe.ExpectCompoundColumnsToBeUnique(
                    column_list=[SOURCE_SYSTEM, SOURCE_KEY],
                    description="every source record is mapped to one customer, not more",
                ),
            ],
        ),
        Check(
            name=f"{GOLDEN_RECORD}__identity_coverage", owner=GOLDEN_RECORD,
            suite="golden_record_identity_coverage",
            query=IDENTITY_RECORDS,
            expectations=[
                gxe.ExpectColumnValuesToNotBeNull(
                    column=CUSTOMER_ID,
                    description="every identity-bearing source record is mapped to a customer",
                ),
            ],
        ),
        Check(
            name=f"{GOLDEN_RECORD}__cluster_size", owner=GOLDEN_RECORD, suite="golden_record_cluster_size",
            query=f"""select {CUSTOMER_ID} as row_key, count(*) as source_records
                      from {CUSTOMER_XREF} group by {CUSTOMER_ID}""",
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column="source_records", min_value=1, max_value=parameter("max_plausible_records"),
                    mostly=1 - t.max_runaway_share,
                    description="runaway merges: few customers hold more source records than one person has",
                ),
            ],
        ),
    ]

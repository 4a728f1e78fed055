"""Contact details of the golden record: valid e-mail and phone shares, country in NL/BE."""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.orchestration.pipeline import GOLDEN_RECORD
from c360.quality.checks import Check, parameter
from c360.quality.contract import (
    COUNTRY,
    CUSTOMER_ID,
    DATE_OF_BIRTH,
    DIM_CUSTOMER,
    E164_NL_BE_PATTERN,
    EMAIL,
    PHONE,
)
from c360.quality.suites.common import not_after_business_date, valid_email
from c360.quality.thresholds import Thresholds


def checks(t: Thresholds) -> list[Check]:
    return [
        Check(
            name=f"{GOLDEN_RECORD}__contact_details", owner=GOLDEN_RECORD,
            suite="golden_record_contact_details",
            query=f"""select {CUSTOMER_ID} as row_key, {EMAIL}, {PHONE}, {COUNTRY}, {DATE_OF_BIRTH}
                      from {DIM_CUSTOMER}""",
            expectations=[
                valid_email(EMAIL, t.min_valid_email_share),
                gxe.ExpectColumnValuesToMatchRegex(
                    column=PHONE, regex=E164_NL_BE_PATTERN, mostly=t.min_valid_phone_share,
                    description=f"at least {t.min_valid_phone_share:.0%} of the phones are NL or BE numbers "
                    "in E.164",
                ),
                gxe.ExpectColumnValuesToBeInSet(column=COUNTRY, value_set=parameter("countries")),
                not_after_business_date(DATE_OF_BIRTH, t.raw_min_valid_value_share),
            ],
        ),
    ]

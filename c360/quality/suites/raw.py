"""Raw contract per silo: what each silo delivered for the business date.

The loaders already refused rows that do not parse (ops.quarantine); these
suites flag values that parse but are wrong (QUALITY.md): an e-mail without
`@`, a birth date in the future, a negative handle time, an unknown code. Their
owner is the silo that delivered the rows.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.pipeline import CONTACT_CENTER, FINANCE, PRIVACY, STORE, WEB
from c360.quality.checks import Check, parameter
from c360.quality.contract import BUSINESS_DATE_SQL
from c360.quality.suites.common import (
    not_after_business_date,
    not_negative,
    one_of,
    required,
    valid_email,
)
from c360.quality.thresholds import Thresholds

# The rows of the business date the gate runs for.
ON_DATE = f"where _business_date = {BUSINESS_DATE_SQL}"
# Where a file row came from: enough for its owner to find it, no personal data.
FILE_LINE = "_source_name || ':' || _line_number"

WEB_EVENT_TYPES = (
    "page_view", "newsletter_signup", "newsletter_unsubscribe", "account_created", "login",
    "webinar_registration", "expert_chat", "appointment_booked", "product_configured",
    "order_completed",
)


def checks(t: Thresholds) -> list[Check]:
    email = t.raw_min_valid_email_share
    # Values that parse but are wrong are flagged and counted; a few do not block publishing.
    value = t.raw_min_valid_value_share
    return [
        Check(
            name=f"{FINANCE}__raw_accounts", owner=FINANCE, suite="raw_finance_accounts",
            query=f"""select account_id || ' @ ' || updated_at as row_key, account_id, email,
                        country_code, status, date_of_birth
                     from raw_finance.accounts {ON_DATE}""",
            expectations=[
                required("account_id"),
                gxe.ExpectColumnValuesToMatchRegex(column="account_id", regex=r"^FA[0-9]{7}$", mostly=value),
                valid_email("email", email),
                gxe.ExpectColumnValuesToBeInSet(column="country_code", value_set=parameter("countries")),
                one_of("status", ("active", "closed")),
                not_after_business_date("date_of_birth", value),
            ],
        ),
        Check(
            name=f"{FINANCE}__raw_invoices", owner=FINANCE, suite="raw_finance_invoices",
            query=f"""select invoice_id || ' @ ' || updated_at as row_key, invoice_id, issued_on,
                        due_on - issued_on as payment_days, status, currency
                     from raw_finance.invoices {ON_DATE}""",
            expectations=[
                one_of("status", ("open", "paid", "overdue", "credited")),
                one_of("currency", ("EUR",)),
                not_negative("payment_days", value),
                not_after_business_date("issued_on", value),
            ],
        ),
        Check(
            name=f"{FINANCE}__raw_payments", owner=FINANCE, suite="raw_finance_payments",
            query=f"""select payment_id || ' @ ' || updated_at as row_key, method
                     from raw_finance.payments {ON_DATE}""",
            expectations=[one_of("method", ("ideal", "bancontact", "sepa_dd", "card", "transfer"))],
        ),
        Check(
            name=f"{CONTACT_CENTER}__raw_interactions", owner=CONTACT_CENTER,
            suite="raw_contact_center_interactions",
            query=f"""select {FILE_LINE} as row_key, interaction_id, channel, direction, reason,
                         caller_email, handle_seconds::integer as handle_seconds,
                         wait_seconds::integer as wait_seconds, csat::integer as csat,
                         resolved, first_contact_resolution
                      from raw_contact_center.interactions {ON_DATE}""",
            expectations=[
                required("interaction_id"),
                gxe.ExpectColumnValuesToBeUnique(column="interaction_id"),
                one_of("channel", ("phone", "chat", "email")),
                one_of("direction", ("inbound", "outbound")),
                one_of("reason", ("billing", "complaint", "product_info", "return", "delivery",
                                  "cancellation", "other")),
                one_of("resolved", ("Y", "N")),
                one_of("first_contact_resolution", ("Y", "N")),
                valid_email("caller_email", email),
                not_negative("handle_seconds", value),
                not_negative("wait_seconds", value),
                gxe.ExpectColumnValuesToBeBetween(column="csat", min_value=1, max_value=5, mostly=value),
            ],
        ),
        Check(
            name=f"{WEB}__raw_events", owner=WEB, suite="raw_web_events",
            query=f"""select event_id as row_key, event_type, anonymous_id,
                        traits ->> 'email' as trait_email
                     from raw_web.events {ON_DATE}""",
            expectations=[
                one_of("event_type", WEB_EVENT_TYPES, mostly=t.raw_min_valid_enum_share),
                required("anonymous_id"),
                valid_email("trait_email", email),
            ],
        ),
        Check(
            name=f"{STORE}__raw_pos_lines", owner=STORE, suite="raw_store_pos_lines",
            query=f"""select {FILE_LINE} as row_key, receipt_id, store_code,
                         unit_price::numeric as unit_price, discount::numeric as discount,
                         loyalty_card, payment_method
                      from raw_store.pos_lines {ON_DATE}""",
            expectations=[
                required("receipt_id"),
                gxe.ExpectColumnValuesToMatchRegex(
                    column="store_code", regex=r"^(NL|BE)-[A-Z]{3}-[0-9]{2}$", mostly=value
                ),
                not_negative("unit_price", value),
                not_negative("discount", value),
                gxe.ExpectColumnValuesToMatchRegex(column="loyalty_card", regex=r"^[0-9]{13}$", mostly=value),
                one_of("payment_method", ("cash", "card", "mobile", "voucher")),
            ],
        ),
        Check(
            name=f"{STORE}__raw_loyalty_members", owner=STORE, suite="raw_store_loyalty_members",
            query=f"""select {FILE_LINE} as row_key, card_number, email,
                         birth_date::date as birth_date, marketing_opt_in
                      from raw_store.loyalty_members {ON_DATE}""",
            expectations=[
                required("card_number"),
                gxe.ExpectColumnValuesToMatchRegex(column="card_number", regex=r"^[0-9]{13}$", mostly=value),
                valid_email("email", email),
                not_after_business_date("birth_date", value),
                one_of("marketing_opt_in", ("Y", "N")),
            ],
        ),
        Check(
            name=f"{PRIVACY}__raw_requests", owner=PRIVACY, suite="raw_privacy_requests",
            query=f"""select {FILE_LINE} as row_key, request_id, request_type, email,
                         num_nonnulls(email, phone, account_id, card_number) as identifiers
                      from raw_privacy.requests {ON_DATE}""",
            expectations=[
                required("request_id"),
                one_of("request_type", ("erasure", "restrict", "access")),
                valid_email("email", email),
                gxe.ExpectColumnValuesToBeBetween(
                    column="identifiers", min_value=1,
                    description="a request names at least one identifier of the person",
                ),
            ],
        ),
    ]


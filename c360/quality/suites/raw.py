"""Raw contract per silo: what each silo delivered for the business date.

The loaders already refused rows that do not parse (ops.quarantine); these
suites flag values that parse but are wrong (QUALITY.md): an e-mail without
`@`, a birth date in the future, a negative handle time, an unknown code. Their
owner is the silo that delivered the rows. Such values are flagged: the owner
is told and they are counted, but a few do not block publishing. What blocks is
a broken delivery: a missing key, or e-mails that are mostly invalid.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.orchestration.pipeline import CONTACT_CENTER, FINANCE, PRIVACY, STORE, WEB
from c360.privacy.personal_data import masked_key_sql
from c360.quality.checks import Check, parameter
from c360.quality.contract import BUSINESS_DATE_SQL
from c360.quality.suites.common import (
    flagged,
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

CARD_NUMBER = r"^[0-9]{13}$"
WEB_EVENT_TYPES = (
    "page_view", "newsletter_signup", "newsletter_unsubscribe", "account_created", "login",
    "webinar_registration", "expert_chat", "appointment_booked", "product_configured",
    "order_completed",
)


def checks(t: Thresholds) -> list[Check]:
    value = t.raw_min_valid_value_share

    def shaped(column: str, regex: str) -> gxe.Expectation:
        return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex, mostly=value)

    def emails(column: str) -> list[gxe.Expectation]:
        return [valid_email(column, t.raw_block_below_email_share),
                *flagged(valid_email(column, t.raw_min_valid_email_share))]

    return [
        Check(
            name=f"{FINANCE}__raw_accounts", owner=FINANCE, suite="raw_finance_accounts",
            query=f"""select {masked_key_sql("account_id")} || ' @ ' || updated_at as row_key,
                        account_id, btrim(email) as email,
                        country_code, status, date_of_birth
                     from raw_finance.accounts {ON_DATE}""",
            expectations=[
                required("account_id"),
                *emails("email"),
                *flagged(
                    shaped("account_id", r"^FA[0-9]{7}$"),
                    gxe.ExpectColumnValuesToBeInSet(column="country_code", value_set=parameter("countries")),
                    one_of("status", ("active", "closed")),
                    not_after_business_date("date_of_birth", value),
                ),
            ],
        ),
        Check(
            name=f"{FINANCE}__raw_invoices", owner=FINANCE, suite="raw_finance_invoices",
            query=f"""select invoice_id || ' @ ' || updated_at as row_key, invoice_id, issued_on,
                        due_on - issued_on as payment_days, status, currency
                     from raw_finance.invoices {ON_DATE}""",
            expectations=[
                required("invoice_id"),
                *flagged(
                    one_of("status", ("open", "paid", "overdue", "credited")),
                    one_of("currency", ("EUR",)),
                    not_negative("payment_days", value),
                    not_after_business_date("issued_on", value),
                ),
            ],
        ),
        Check(
            name=f"{FINANCE}__raw_payments", owner=FINANCE, suite="raw_finance_payments",
            query=f"""select payment_id || ' @ ' || updated_at as row_key, payment_id, method
                     from raw_finance.payments {ON_DATE}""",
            expectations=[
                required("payment_id"),
                *flagged(one_of("method", ("ideal", "bancontact", "sepa_dd", "card", "transfer"))),
            ],
        ),
        Check(
            name=f"{CONTACT_CENTER}__raw_interactions", owner=CONTACT_CENTER,
            suite="raw_contact_center_interactions",
            query=f"""select {FILE_LINE} as row_key, interaction_id, channel, direction, reason,
                         btrim(caller_email) as caller_email, handle_seconds::integer as handle_seconds,
                         wait_seconds::integer as wait_seconds, csat::integer as csat,
                         resolved, first_contact_resolution
                      from raw_contact_center.interactions {ON_DATE}""",
            expectations=[
                required("interaction_id"),
                *emails("caller_email"),
                *flagged(
                    gxe.ExpectColumnValuesToBeUnique(column="interaction_id"),
                    one_of("channel", ("phone", "chat", "email")),
                    one_of("direction", ("inbound", "outbound")),
                    one_of("reason", ("billing", "complaint", "product_info", "return", "delivery",
                                      "cancellation", "other")),
                    one_of("resolved", ("Y", "N")),
                    one_of("first_contact_resolution", ("Y", "N")),
                    not_negative("handle_seconds", value),
                    not_negative("wait_seconds", value),
                    gxe.ExpectColumnValuesToBeBetween(column="csat", min_value=1, max_value=5, mostly=value),
                ),
            ],
        ),
        Check(
            name=f"{WEB}__raw_events", owner=WEB, suite="raw_web_events",
            query=f"""select event_id as row_key, event_type, anonymous_id,
                        btrim(traits ->> 'email') as trait_email
                     from raw_web.events {ON_DATE}""",
            expectations=[
                required("anonymous_id"),
                *emails("trait_email"),
                *flagged(one_of("event_type", WEB_EVENT_TYPES, mostly=t.raw_min_valid_enum_share)),
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
                *flagged(
                    shaped("store_code", r"^(NL|BE)-[A-Z]{3}-[0-9]{2}$"),
                    not_negative("unit_price", value),
                    not_negative("discount", value),
                    shaped("loyalty_card", CARD_NUMBER),
                    one_of("payment_method", ("cash", "card", "mobile", "voucher")),
                ),
            ],
        ),
        Check(
            name=f"{STORE}__raw_loyalty_members", owner=STORE, suite="raw_store_loyalty_members",
            query=f"""select {FILE_LINE} as row_key, card_number, btrim(email) as email,
                         birth_date::date as birth_date, marketing_opt_in
                      from raw_store.loyalty_members {ON_DATE}""",
            expectations=[
                required("card_number"),
                *emails("email"),
                *flagged(
                    shaped("card_number", CARD_NUMBER),
                    not_after_business_date("birth_date", value),
                    one_of("marketing_opt_in", ("Y", "N")),
                ),
            ],
        ),
        Check(
            name=f"{PRIVACY}__raw_requests", owner=PRIVACY, suite="raw_privacy_requests",
            query=f"""select {FILE_LINE} as row_key, request_id, request_type, btrim(email) as email,
                         num_nonnulls(email, phone, account_id, card_number) as identifiers
                      from raw_privacy.requests {ON_DATE}""",
            expectations=[
                required("request_id"),
                *emails("email"),
                *flagged(
                    one_of("request_type", ("erasure", "restrict", "access")),
                    gxe.ExpectColumnValuesToBeBetween(
                        column="identifiers", min_value=1,
                        description="a request names at least one identifier of the person",
                    ),
                ),
            ],
        ),
    ]


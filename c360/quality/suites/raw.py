"""Raw contract per silo: what each silo delivered for the business date.

The loaders already refused rows that do not parse (ops.quarantine); these
suites flag values that parse but are wrong (QUALITY.md): an e-mail without
`@`, a birth date in the future, a negative handle time, an unknown code. Their
owner is the silo that delivered the rows. Such values are flagged: the owner
is told and they are counted, but a few do not block publishing. What blocks is
a broken delivery: a missing value the contract requires, or e-mails that are
mostly invalid. Required columns, allowed values and shapes come from the silos'
contracts (contracts/*.yml).
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.ingest.contracts import Dataset, dataset
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



def required_of(contract: Dataset, *columns: str) -> list[gxe.Expectation]:
    """Not null, for each of `columns` (as the query selects them) that the contract requires."""
    return [required(c) for c in columns if contract.column(c).required]


def allowed(contract: Dataset, column: str, mostly: float = 1.0) -> gxe.Expectation:
    return one_of(column, contract.values(column), mostly)


def checks(t: Thresholds) -> list[Check]:
    value = t.raw_min_valid_value_share

    def shaped(contract: Dataset, column: str) -> gxe.Expectation:
        regex = contract.column(column).pattern
        return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex, mostly=value)

    def emails(column: str) -> list[gxe.Expectation]:
        return [valid_email(column, t.raw_block_below_email_share),
                *flagged(valid_email(column, t.raw_min_valid_email_share))]

    accounts, invoices, payments = (dataset(FINANCE, n) for n in ("accounts", "invoices", "payments"))
    interactions, events = dataset(CONTACT_CENTER, "interactions"), dataset(WEB, "events")
    pos_lines, members = dataset(STORE, "pos_lines"), dataset(STORE, "loyalty_members")
    requests = dataset(PRIVACY, "requests")
    return [
        Check(
            name=f"{FINANCE}__raw_accounts", owner=FINANCE, suite="raw_finance_accounts",
            query=f"""select {masked_key_sql("account_id")} || ' @ ' || updated_at as row_key,
                        account_id, btrim(email) as email,
                        country_code, status, date_of_birth
                     from raw_finance.accounts {ON_DATE}""",
            expectations=[
                *required_of(accounts, "account_id", "country_code", "status", "date_of_birth"),
                *emails("email"),
                *flagged(
                    shaped(accounts, "account_id"),
                    gxe.ExpectColumnValuesToBeInSet(column="country_code", value_set=parameter("countries")),
                    allowed(accounts, "status"),
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
                *required_of(invoices, "invoice_id", "issued_on", "status", "currency"),
                *flagged(
                    allowed(invoices, "status"),
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
                *required_of(payments, "payment_id", "method"),
                *flagged(allowed(payments, "method")),
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
                *required_of(interactions, "interaction_id", "channel", "direction", "reason",
                             "handle_seconds", "wait_seconds", "csat", "resolved",
                             "first_contact_resolution"),
                *emails("caller_email"),
                *flagged(
                    gxe.ExpectColumnValuesToBeUnique(column="interaction_id"),
                    *(allowed(interactions, c) for c in ("channel", "direction", "reason", "resolved",
                                                          "first_contact_resolution")),
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
                *required_of(events, "event_type", "anonymous_id"),
                *emails("trait_email"),
                *flagged(allowed(events, "event_type", mostly=t.raw_min_valid_enum_share)),
            ],
        ),
        Check(
            name=f"{STORE}__raw_pos_lines", owner=STORE, suite="raw_store_pos_lines",
            query=f"""select {FILE_LINE} as row_key, receipt_id, store_code,
                         unit_price::numeric as unit_price, discount::numeric as discount,
                         loyalty_card, payment_method
                      from raw_store.pos_lines {ON_DATE}""",
            expectations=[
                *required_of(pos_lines, "receipt_id", "store_code", "unit_price", "discount",
                             "loyalty_card", "payment_method"),
                *flagged(
                    shaped(pos_lines, "store_code"),
                    not_negative("unit_price", value),
                    not_negative("discount", value),
                    shaped(pos_lines, "loyalty_card"),
                    allowed(pos_lines, "payment_method"),
                ),
            ],
        ),
        Check(
            name=f"{STORE}__raw_loyalty_members", owner=STORE, suite="raw_store_loyalty_members",
            query=f"""select {FILE_LINE} as row_key, card_number, btrim(email) as email,
                         birth_date::date as birth_date, marketing_opt_in
                      from raw_store.loyalty_members {ON_DATE}""",
            expectations=[
                *required_of(members, "card_number", "birth_date", "marketing_opt_in"),
                *emails("email"),
                *flagged(
                    shaped(members, "card_number"),
                    not_after_business_date("birth_date", value),
                    allowed(members, "marketing_opt_in"),
                ),
            ],
        ),
        Check(
            name=f"{PRIVACY}__raw_requests", owner=PRIVACY, suite="raw_privacy_requests",
            query=f"""select {FILE_LINE} as row_key, request_id, request_type, btrim(email) as email,
                         num_nonnulls(email, phone, account_id, card_number) as identifiers
                      from raw_privacy.requests {ON_DATE}""",
            expectations=[
                *required_of(requests, "request_id", "request_type"),
                *emails("email"),
                *flagged(
                    allowed(requests, "request_type"),
                    gxe.ExpectColumnValuesToBeBetween(
                        column="identifiers", min_value=1,
                        description="a request names at least one identifier of the person",
                    ),
                ),
            ],
        ),
    ]


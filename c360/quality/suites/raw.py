"""Raw contract per silo: what each silo delivered for the business date.

The loaders already refused rows that do not parse (ops.quarantine); these
suites flag values that parse but are wrong (QUALITY.md): an e-mail without
`@`, a birth date in the future, a negative handle time, an unknown code. Their
owner is the silo that delivered the rows. Such values are flagged: the owner
is told and they are counted, but a few do not block publishing. What blocks is
a broken delivery: a missing value the contract requires, or e-mails that are
mostly invalid. Required columns, allowed values and shapes come from the silos'
contracts (contracts/*.yml); a silo of delimited files gets all its checks from its
contract (`contract_checks`), one per dataset, owned by the silo, so adding such a
silo adds its checks. Finance and the web, with loaders of their own, are written
out here.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.ingest.contracts import Column, Contract, Dataset, dataset, delimited_contracts
from c360.orchestration.pipeline import FINANCE, WEB
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
# A delimited file's column is text the loader has parsed: typed where a bound compares it.
CASTS = {"integer": "{0}::integer as {0}", "decimal": "{0}::numeric as {0}", "date": "{0}::date as {0}"}
AT_LEAST_ONE = "at_least_one"


def required_of(contract: Dataset, *columns: str) -> list[gxe.Expectation]:
    """Not null, for each of `columns` (as the query selects them) that the contract requires."""
    return [required(c) for c in columns if contract.column(c).required]


def allowed(contract: Dataset, column: str, mostly: float = 1.0) -> gxe.Expectation:
    return one_of(column, contract.values(column), mostly)


def _column_expectations(c: Column, t: Thresholds) -> list[gxe.Expectation]:
    value = t.raw_min_valid_value_share
    found = [required(c.name)] if c.required else []
    if c.type == "email":
        found.append(valid_email(c.name, t.raw_block_below_email_share))
        found += flagged(valid_email(c.name, t.raw_min_valid_email_share))
    if c.values:
        found += flagged(one_of(c.name, c.values, t.raw_min_valid_enum_share if c.open else value))
    if c.pattern:
        found += flagged(gxe.ExpectColumnValuesToMatchRegex(column=c.name, regex=c.pattern, mostly=value))
    if c.minimum is not None:
        found += flagged(gxe.ExpectColumnValuesToBeBetween(column=c.name, min_value=c.minimum, mostly=value))
    if c.not_after_business_date:
        found += flagged(not_after_business_date(c.name, value))
    return found


def _selected(c: Column) -> str:
    if c.type == "email":
        return f"btrim({c.name}) as {c.name}"
    if c.minimum is not None or c.not_after_business_date:
        return CASTS.get(c.type, "{0}").format(c.name)
    return c.name


def dataset_check(d: Dataset, t: Thresholds) -> Check:
    """The raw check of one dataset of delimited files, all from its contract: required
    columns not null, e-mail shares (blocking when mostly invalid); values, patterns,
    minimums, dates after the business date, a repeated key and a record without any
    of `at_least_one` flagged. The silo owns it."""
    selected, expectations = [], []
    for column in d.columns:
        found = _column_expectations(column, t)
        if found or column.name in d.key:
            selected.append(_selected(column))
            expectations += found
    if len(d.key) == 1:
        expectations += flagged(gxe.ExpectColumnValuesToBeUnique(column=d.key[0]))
    elif d.key:
        expectations += flagged(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(d.key)))
    if d.at_least_one:
        selected.append(f"num_nonnulls({', '.join(d.at_least_one)}) as {AT_LEAST_ONE}")
        expectations += flagged(gxe.ExpectColumnValuesToBeBetween(
            column=AT_LEAST_ONE, min_value=1,
            description=f"a record fills at least one of {', '.join(d.at_least_one)}",
        ))
    return Check(
        name=f"{d.silo}__raw_{d.name}", owner=d.silo, suite=f"raw_{d.silo}_{d.name}",
        query=f"select {FILE_LINE} as row_key, {', '.join(selected)} from {d.raw_table} {ON_DATE}",
        expectations=expectations,
    )


def contract_checks(c: Contract, t: Thresholds) -> list[Check]:
    return [dataset_check(d, t) for d in c.datasets]


def checks(t: Thresholds) -> list[Check]:
    value = t.raw_min_valid_value_share

    def shaped(contract: Dataset, column: str) -> gxe.Expectation:
        regex = contract.column(column).pattern
        return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex, mostly=value)

    def emails(column: str) -> list[gxe.Expectation]:
        return [valid_email(column, t.raw_block_below_email_share),
                *flagged(valid_email(column, t.raw_min_valid_email_share))]

    accounts, invoices, payments = (dataset(FINANCE, n) for n in ("accounts", "invoices", "payments"))
    events = dataset(WEB, "events")
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
        *(check for c in delimited_contracts() for check in contract_checks(c, t)),
    ]

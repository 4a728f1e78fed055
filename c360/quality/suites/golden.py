"""The golden record and the xref: one id per customer, each identity-bearing record once, no runaways.

A runaway merge is told by what one person cannot have, not by how many records
a customer holds: every call and every web cookie is a record, and a loyal
customer gathers dozens in a year. Per customer, `golden_record__cluster_plausibility`
counts (over marts.customer_xref and the records' normalized values in
intermediate.int_identity__records):

- birth_dates_far_apart: how many of its birth dates are far apart from another
  of them. Two birth dates can be one person's when they are at most a year
  apart (a day or month typed wrong, day and month swapped, the year's last
  digit off) or differ in one digit (1968-05-14 and 1958-05-14). The forms'
  defaults (1900-01-01, 1901-01-01, 1970-01-01, a 1 January many records
  give) are unknown in int_identity__records already; staging drops dates in
  the future or before 1900.
- names_far_apart: how many of its full names are far apart from another of
  them: no part of one is within a slip (levenshtein <= 2) of a part of the
  other. A name's parts are the formal names its first given name stands for
  (Bob -> robert; Nel -> cornelia and petronella), all its given names, and its
  surname with and without its prefix,
  each folded (letters only); parts under 3 letters ('de', an initial) are left
  out. A married name or a nickname changes one part, not all; a name typed
  swapped ('de Grote' / 'Jan-Hendrik') keeps them. Records whose given name or
  surname is missing or an initial only are left out.
- finance_accounts, loyalty_cards: its billing accounts and loyalty cards.
- addresses: its distinct addresses (postal code + house number) on finance
  and store records.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.orchestration.pipeline import CONTACT_CENTER, FINANCE, GOLDEN_RECORD, STORE, WEB
from c360.privacy.personal_data import masked_key_sql
from c360.quality.checks import Check, parameter
from c360.quality.contract import (
    CUSTOMER_ID,
    CUSTOMER_XREF,
    DATE_OF_BIRTH,
    DIM_CUSTOMER,
    GIVEN_NAME_CANONICAL,
    GIVEN_NAMES_FOLDED,
    HOUSE_NUMBER,
    INT_IDENTITY_RECORDS,
    POSTAL_CODE,
    SOURCE_KEY,
    SOURCE_SYSTEM,
    SURNAME_FOLDED,
    SURNAME_WITH_PREFIX_FOLDED,
)
from c360.quality.suites.common import required
from c360.quality.thresholds import CLUSTER_MEASURES, Thresholds

# Identity-bearing source records as docs/contracts.md lists them. Records
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
    select r.source_system || ':' || {masked_key_sql("r.source_key")} as row_key, x.{CUSTOMER_ID}
    from identity_records as r
    left join {CUSTOMER_XREF} as x
        on x.{SOURCE_SYSTEM} = r.source_system and x.{SOURCE_KEY} = r.source_key
    where (r.source_system, r.source_key) not in (select source_system, source_key from erased_keys)
"""


# Edits within which two folded names are one name typed or heard differently.
NAME_SLIP_EDITS = 2
# Shorter parts of a name (a prefix typed as a given name, 'de'; 'Bo') are within
# two edits of too many others to tell anything.
NAME_PART_MIN_LETTERS = 3

# One row per customer of the xref, every measure counted (0 when it has none).
# levenshtein is fuzzystrmatch's, which dbt's on-run-start installs.
CLUSTER_MEASURES_SQL = f"""
    with records as (
        select x.{CUSTOMER_ID}, x.{SOURCE_SYSTEM}, x.{SOURCE_KEY},
               r.{DATE_OF_BIRTH}, r.{GIVEN_NAME_CANONICAL} as given, r.{GIVEN_NAMES_FOLDED} as given_all,
               r.{SURNAME_FOLDED} as surname, r.{SURNAME_WITH_PREFIX_FOLDED} as surname_full,
               r.{POSTAL_CODE}, r.{HOUSE_NUMBER}
        from {CUSTOMER_XREF} as x
        left join {INT_IDENTITY_RECORDS} as r
            on r.source_system = x.{SOURCE_SYSTEM} and r.source_key = x.{SOURCE_KEY}
    ),
    birth_dates as (
        select distinct {CUSTOMER_ID}, {DATE_OF_BIRTH} as born from records
        where {DATE_OF_BIRTH} is not null
    ),
    far_birth_dates as (
        select a.{CUSTOMER_ID}, count(distinct a.born) as birth_dates_far_apart
        from birth_dates as a
        join birth_dates as b on b.{CUSTOMER_ID} = a.{CUSTOMER_ID} and b.born <> a.born
        where abs(a.born - b.born) > 366
          and levenshtein(to_char(a.born, 'YYYYMMDD'), to_char(b.born, 'YYYYMMDD')) > 1
        group by 1
    ),
    names as (
        select distinct {CUSTOMER_ID},
               concat_ws(' ', given, given_all, '/', surname, surname_full) as name,
               string_to_array(given, ' ') || array[given_all, surname, surname_full] as parts
        from records
        where given is not null and length(surname) > 1
    ),
    name_parts as (
        select distinct n.{CUSTOMER_ID}, n.name, part
        from names as n
        cross join lateral unnest(n.parts) as part
        where length(part) >= {NAME_PART_MIN_LETTERS}
    ),
    one_persons_names as (
        select distinct a.{CUSTOMER_ID}, a.name as name_a, b.name as name_b
        from name_parts as a
        join name_parts as b on b.{CUSTOMER_ID} = a.{CUSTOMER_ID}
        where levenshtein(a.part, b.part) <= {NAME_SLIP_EDITS}
    ),
    far_names as (
        select a.{CUSTOMER_ID}, count(distinct a.name) as names_far_apart
        from (select distinct {CUSTOMER_ID}, name from name_parts) as a
        join (select distinct {CUSTOMER_ID}, name from name_parts) as b
            on b.{CUSTOMER_ID} = a.{CUSTOMER_ID} and b.name <> a.name
        left join one_persons_names as m
            on m.{CUSTOMER_ID} = a.{CUSTOMER_ID} and m.name_a = a.name and m.name_b = b.name
        where m.name_a is null
        group by 1
    ),
    counted as (
        select {CUSTOMER_ID},
               count(distinct {SOURCE_KEY}) filter (where {SOURCE_SYSTEM} = '{FINANCE}') as finance_accounts,
               count(distinct {SOURCE_KEY}) filter (where {SOURCE_SYSTEM} = '{STORE}') as loyalty_cards,
               count(distinct ({POSTAL_CODE}, {HOUSE_NUMBER})) filter (
                   where {SOURCE_SYSTEM} in ('{FINANCE}', '{STORE}')
                     and {POSTAL_CODE} is not null and {HOUSE_NUMBER} is not null
               ) as addresses
        from records
        group by 1
    )
    select c.{CUSTOMER_ID} as row_key,
           coalesce(d.birth_dates_far_apart, 0) as birth_dates_far_apart,
           coalesce(n.names_far_apart, 0) as names_far_apart,
           c.finance_accounts, c.loyalty_cards, c.addresses
    from counted as c
    left join far_birth_dates as d using ({CUSTOMER_ID})
    left join far_names as n using ({CUSTOMER_ID})
"""

# What a data owner reads beside each measure in the data docs and in an alert.
CLUSTER_DESCRIPTIONS = {
    "birth_dates_far_apart": (
        "runaway merges: few customers hold birth dates that cannot be one person's (more than a "
        "year apart, and more than one digit different)"
    ),
    "names_far_apart": (
        "runaway merges: few customers hold names that cannot be one person's (neither the given "
        "name nor the surname, nor the two swapped, are within a typing slip of each other)"
    ),
    "finance_accounts": "runaway merges: few customers hold more billing accounts than one person has",
    "loyalty_cards": "runaway merges: few customers hold more loyalty cards than one person has",
    "addresses": (
        "runaway merges: few customers hold more addresses (postal code + house number, from "
        "billing and loyalty records) than one person has"
    ),
}


def checks(t: Thresholds) -> list[Check]:
    return [
        Check(
            name=f"{GOLDEN_RECORD}__customer_id", owner=GOLDEN_RECORD, suite="golden_record_customer_id",
            query=f"select {CUSTOMER_ID} as row_key, {CUSTOMER_ID} from {DIM_CUSTOMER}",
            expectations=[required(CUSTOMER_ID), gxe.ExpectColumnValuesToBeUnique(column=CUSTOMER_ID)],
        ),
        Check(
            name=f"{GOLDEN_RECORD}__xref", owner=GOLDEN_RECORD, suite="golden_record_xref",
            query=f"""select {SOURCE_SYSTEM} || ':' || {masked_key_sql(SOURCE_KEY)} as row_key,
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
            name=f"{GOLDEN_RECORD}__cluster_plausibility", owner=GOLDEN_RECORD,
            suite="golden_record_cluster_plausibility",
            query=CLUSTER_MEASURES_SQL,
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column=measure, min_value=0, max_value=parameter(f"max_{measure}"),
                    mostly=1 - t.cluster_bounds[measure].max_share,
                    description=CLUSTER_DESCRIPTIONS[measure],
                )
                for measure in CLUSTER_MEASURES
            ],
        ),
    ]

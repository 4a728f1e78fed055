"""Where a person's data sits in the raw layer, how it is recognised, and what erasing it does.

Each raw table names the identifiers its rows carry, as SQL that gives each
value in the form staging normalizes it to: the ops.c360_* functions are the
staging macros themselves (dbt_project/macros/privacy_identifier_functions.sql).
A row is the person's when the keyed hash of any of its identifiers is in the
temporary table `identifier_hashes`. Such a row is deleted when it holds nothing but the
person (an account, a loyalty enrolment, a web event: a trail of pages is the
person's too), and pseudonymized when aggregates need its figures: invoices keep
their amounts under the account 'erased', POS lines lose the loyalty card,
contacts lose the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from c360.privacy.keys import keyed_hash_sql, repr_sql
from c360.privacy.landing import note_lines_sql

HASHES_TABLE = "identifier_hashes"
# What an erased person's key becomes where a row's figures stay: the same for everyone, so the
# rows count in totals and link to no one (a keyed pseudonym would, for whoever holds the key).
ERASED = "'erased'"
QUARANTINE = "ops.quarantine"


@dataclass(frozen=True)
class Identifier:
    key_type: str  # email, phone, account, card, web_user, anonymous_id, interaction_id, request
    value_sql: str

    def hash_sql(self) -> str:
        return keyed_hash_sql(repr_sql(self.key_type), self.value_sql)


@dataclass(frozen=True)
class RawRelation:
    table: str
    identifiers: tuple[Identifier, ...]
    # column and the SQL of its pseudonymized value; none: the row is deleted
    replacements: tuple[tuple[str, str], ...] = ()
    from_files: bool = True  # rows carry the landing file and line they came from

    @property
    def action(self) -> str:
        return "pseudonymized" if self.replacements else "deleted"

    def matches_sql(self) -> str:
        """True for a row of the person (hashes in `identifier_hashes`)."""
        tests = [f"{i.hash_sql()} in (select identifier_hash from {HASHES_TABLE})" for i in self.identifiers]
        return "(" + " or ".join(tests) + ")"

    def erase_sql(self, since: bool) -> str:
        """Delete or pseudonymize the person's rows, noting their landing lines; with `since`,
        only rows loaded from %(since)s. The statement returns the number of rows changed."""
        where = self.matches_sql() + (" and _loaded_at >= %(since)s" if since else "")
        returning = " returning _batch_id, _line_number" if self.from_files else ""
        if not self.replacements:
            change = f"delete from {self.table} where {where}{returning}"
        else:
            columns = ", ".join(column for column, _ in self.replacements)
            values = ", ".join(value for _, value in self.replacements)
            # a row already pseudonymized is left alone, so counts mean rows changed now
            change = (f"update {self.table} set ({columns}) = row({values}) "
                      f"where {where} and row({columns}) is distinct from row({values}){returning}")
        if not self.from_files:
            return f"with changed as ({change} returning 1) select count(*) from changed"
        return (f"with changed as ({change}), noted as ({note_lines_sql('changed')}) "
                "select count(*) from changed")


def email(column: str) -> Identifier:
    return Identifier("email", f"ops.c360_normalize_email({column})")


def phone(column: str, country_sql: str = "null") -> Identifier:
    return Identifier("phone", f"ops.c360_normalize_phone({column}, {country_sql})")


def trimmed(key_type: str, column: str) -> Identifier:
    return Identifier(key_type, f"nullif(btrim({column}), '')")


def card_typed_as(column: str) -> Identifier:
    """A loyalty card typed where other things can be too (a contact's customer_ref)."""
    return Identifier("card", f"case when btrim({column}) ~ '^[0-9]{{13}}$' then btrim({column}) end")


def cleared(*columns: str) -> tuple[tuple[str, str], ...]:
    return tuple((column, "null") for column in columns)


RAW_RELATIONS: tuple[RawRelation, ...] = (
    RawRelation("raw_finance.accounts", (
        Identifier("account", "upper(btrim(account_id))"),
        email("email"),
        phone("phone", "country_code::text"),
    ), from_files=False),
    RawRelation(
        "raw_finance.invoices",
        (Identifier("account", "upper(btrim(account_id))"),),
        (("account_id", ERASED),),
        from_files=False,
    ),
    RawRelation(
        "raw_contact_center.interactions",
        (
            trimmed("interaction_id", "interaction_id"),
            Identifier("account", "ops.c360_normalize_account_id(customer_ref)"),
            card_typed_as("customer_ref"),
            email("caller_email"),
            phone("caller_phone"),
        ),
        cleared("customer_ref", "caller_name", "caller_phone", "caller_email"),
    ),
    RawRelation(
        "raw_web.events",
        (
            trimmed("anonymous_id", "anonymous_id"),
            trimmed("web_user", "user_id"),
            email("traits ->> 'email'"),
            phone("traits ->> 'phone'", "ops.c360_country_from_postal_code(traits ->> 'postal_code')"),
        ),
    ),
    RawRelation("raw_store.loyalty_members", (
        trimmed("card", "card_number"),
        email("email"),
        phone("phone", "ops.c360_country_from_postal_code(postal_code)"),
    )),
    RawRelation("raw_store.pos_lines", (trimmed("card", "loyalty_card"),), cleared("loyalty_card")),
    RawRelation(
        "raw_privacy.requests",
        (
            trimmed("request", "request_id"),
            email("email"),
            phone("phone"),
            Identifier("account", "ops.c360_normalize_account_id(account_id)"),
            trimmed("card", "card_number"),
        ),
        # 'erased' keeps the contract's "at least one identifier" true for the request's record
        (*cleared("email", "phone", "account_id"), ("card_number", ERASED)),
    ),
)

# A quarantined record is text that failed to parse: its fields are cut at every
# delimiter and quote of the silos' formats, and each field is tried as every kind
# of identifier. Phones keep their inner spaces ('+31 6 1234 5678').
QUARANTINE_TOKENS_SQL = r"""
    select 1
    from regexp_split_to_table(q.raw_record, '[,;\t"\r\n{}\[\]]') as token(value)
    cross join lateral (values
        ('email', ops.c360_normalize_email(token.value)),
        ('phone', ops.c360_normalize_phone(token.value, null)),
        ('account', ops.c360_normalize_account_id(token.value)),
        ('card', case when btrim(token.value) ~ '^[0-9]{13}$' then btrim(token.value) end),
        ('web_user', nullif(btrim(token.value), '')),
        ('anonymous_id', nullif(btrim(token.value), '')),
        ('interaction_id', nullif(btrim(token.value), '')),
        ('request', nullif(btrim(token.value), ''))
    ) as candidate(key_type, key_value)
"""


def quarantine_matches_sql() -> str:
    hashed = keyed_hash_sql("candidate.key_type", "candidate.key_value")
    return (f"exists ({QUARANTINE_TOKENS_SQL} where candidate.key_value is not null "
            f"and {hashed} in (select identifier_hash from {HASHES_TABLE}))")


def redact_quarantine_sql(since: bool) -> str:
    """Drop the raw text of quarantined records that hold the person, noting their landing
    lines; the reason and counts stay. The statement returns the number of records changed."""
    window = " and quarantined_at >= %(since)s" if since else ""
    return (f"""with changed as (
                update {QUARANTINE} as q set raw_record = null,
                    reason = reason || ' (raw record erased on a privacy request)'
                where raw_record is not null{window} and {quarantine_matches_sql()}
                returning source_system, business_date, source_name, line_number
            ),
            loads as (
                select l.ledger_id, c.line_number from changed as c
                join ops.load_ledger as l using (source_system, business_date, source_name)
            ),
            noted as ({note_lines_sql('loads', batch_column='ledger_id', line_column='line_number')})
            select count(*) from changed""")


def erase_raw(conn: psycopg.Connection, params: dict, since: bool) -> dict[tuple[str, str], int]:
    """Erase the rows of the identifiers in `identifier_hashes` everywhere in raw and quarantine.

    Returns rows changed per (relation, action)."""
    counts = {}
    for relation in RAW_RELATIONS:
        changed = conn.execute(relation.erase_sql(since), params).fetchone()[0]
        counts[(relation.table, relation.action)] = changed
    counts[(QUARANTINE, "redacted")] = conn.execute(redact_quarantine_sql(since), params).fetchone()[0]
    return counts

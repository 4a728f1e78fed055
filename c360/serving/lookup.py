"""The lookup: one statement that finds the customers holding a key, shapes the answer and
audits it, over the published map (schema serving) and the published 360.

A key only one customer holds answers with that customer's 360, segments and, once
they are published, propensities and next best activity. A key several customers
hold (a household's landline or e-mail) answers with the candidates: id, first
name and birth year, enough for an agent to ask which one is calling, never a
guess. A restricted customer answers `{"restricted": true}` and nothing more; an
erased one is in neither the map nor the 360, so the key finds nobody. A restriction or
erasure the privacy step carried out after the night's publication holds at once: the
lookup reads its decision (ops.privacy_request_log) beside the map.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.conninfo import make_conninfo

from c360.config import ConfigError, Settings
from c360.serving.audit import AUDIT_CTE
from c360.serving.keys import key_hash, normalize
from c360.warehouse.roles import LOOKUP_ROLE, lookup_password

# Published by other work; answered from when they exist. Each has a customer_id column.
PROPENSITY = "customer_propensity"
NEXT_BEST_ACTIVITY = "next_best_activity"
OPTIONAL = (PROPENSITY, NEXT_BEST_ACTIVITY)
OPTIONAL_SQL = """
    select name from unnest(%s::text[]) as name
    where case when to_regclass('published.' || name) is not null
               then has_table_privilege(to_regclass('published.' || name), 'select') end
"""
# HTTP status of each result.
STATUS = {"found": 200, "candidates": 200, "restricted": 200, "none": 404, "invalid": 422}


@dataclass(frozen=True)
class Answer:
    result: str
    body: str  # the answer as JSON text, built by the warehouse


def lookup_dsn(settings: Settings) -> str:
    """The warehouse, logged in as the lookup's own role."""
    password = lookup_password(settings)
    if not password:
        raise ConfigError(f"the role {LOOKUP_ROLE} has no password: set C360_LOOKUP_PASSWORD "
                          "(the embedded cluster's is made by `c360 up`)")
    return make_conninfo(settings.warehouse_dsn, user=LOOKUP_ROLE, password=password)


def lookup_sql(optional: tuple[str, ...]) -> str:
    """The statement, answering from the optional relations that exist."""
    extra = ""
    if PROPENSITY in optional:
        extra += f""",
            'propensities', (select coalesce(json_agg((to_jsonb(t) - 'customer_id')
                                                      order by t.product_line), '[]')
                             from published.{PROPENSITY} as t where t.customer_id = o.customer_id)"""
    if NEXT_BEST_ACTIVITY in optional:
        extra += f""",
            'next_best_activity', (select to_jsonb(t) - 'customer_id'
                                   from published.{NEXT_BEST_ACTIVITY} as t
                                   where t.customer_id = o.customer_id limit 1)"""
    return f"""
with holders as (
    select c.customer_id, c.first_name, c.birth_year,
           c.is_restricted or d.is_restricted as is_restricted, d.is_erased
    from serving.lookup_keys as k
    join serving.lookup_customers as c using (customer_id)
    -- requests carried out since the map was published count at once, not at the next publication
    cross join lateral (
        select coalesce(bool_or(r.outcome = 'restricted'), false) as is_restricted,
               coalesce(bool_or(r.outcome = 'erased'), false) as is_erased
        from ops.privacy_request_log as r
        where r.customer_id = c.customer_id
    ) as d
    where k.key_hash = %(key_hash)s
),
matches as (
    select customer_id, first_name, birth_year, is_restricted
    from holders as h
    where not h.is_erased
        -- a profiled customer is found only with the 360 it was published with
        and (h.is_restricted or exists (
            select from published.customer_360 as p where p.customer_id = h.customer_id))
),
outcome as (
    select case when count(*) = 0 then 'none' when count(*) > 1 then 'candidates'
                when bool_and(is_restricted) then 'restricted' else 'found' end as result,
           min(customer_id) as customer_id
    from matches
),
{AUDIT_CTE}
select o.result, case o.result
    when 'found' then json_build_object(
        'result', 'found',
        'customer', (select row_to_json(p) from published.customer_360 as p
                     where p.customer_id = o.customer_id),
        'segments', (select coalesce(json_agg(s.segment order by s.segment), '[]')
                     from published.customer_segments as s where s.customer_id = o.customer_id){extra})
    when 'candidates' then json_build_object('result', 'candidates', 'candidates', (
        select json_agg(case when m.is_restricted then json_build_object('restricted', true)
                             else json_build_object('customer_id', m.customer_id, 'first_name', m.first_name,
                                                    'birth_year', m.birth_year) end
                        order by m.is_restricted, m.customer_id)
        from matches as m))
    when 'restricted' then json_build_object('restricted', true)
    else json_build_object('result', 'none')
end::text
from outcome as o
"""


INVALID_SQL = f"""
with outcome as (select 'invalid'::text as result), {AUDIT_CTE}
select result, json_build_object('result', result, 'message', %(message)s::text)::text from outcome
"""


def prepare(kind: str, value: str, secret: str, caller: str) -> tuple[bool, dict[str, str | None]]:
    """(whether the value is a key of its kind, the statement's parameters)."""
    normalized = normalize(kind, value)
    params = {"caller": caller, "key_kind": kind,
              "key_hash": key_hash(secret, kind, normalized) if normalized else None}
    if not normalized:
        params["message"] = f"not a {kind} as identity resolution reads one"
    return normalized is not None, params


def optional_relations(conn: psycopg.Connection) -> tuple[str, ...]:
    rows = conn.execute(OPTIONAL_SQL, (list(OPTIONAL),)).fetchall()
    return tuple(name for (name,) in rows)


def run_lookup(conn: psycopg.Connection, kind: str, value: str, secret: str, caller: str) -> Answer:
    """One audited lookup on an autocommit connection of the lookup role."""
    valid, params = prepare(kind, value, secret, caller)
    statement = lookup_sql(optional_relations(conn)) if valid else INVALID_SQL
    return Answer(*conn.execute(statement, params).fetchone())

"""Each profiled customer's features per product line as of a business date T, in SQL.

Point in time: every event is filtered to its business day on or before T (the facts'
purchase_date, event_date and contact_date), and a customer is in the population of T
only once an event of theirs is. What is not as of T: which customer a record belongs to
(tonight's identity map) and the golden attributes (country, birth date; age is taken at T).

A purchase is a store or web order with a positive net amount: what a journey ends in.
Billing is a contract's monthly fee, so it is a feature (an active contract of the line),
never a purchase.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import psycopg

PURCHASES = "intermediate.int_facts__purchases"
WEB_EVENTS = "intermediate.int_facts__web_events"
CONTACTS = "intermediate.int_facts__contacts"
# The profiled customers (neither erased nor restricted) and their golden attributes.
CUSTOMERS = "marts.customer_360"
GOLDEN = "marts.dim_customer"

# No purchase of the line yet: the model sees a recency longer than any history it has.
NEVER_DAYS = 9999

FEATURES: tuple[str, ...] = (
    # the line
    "line_days_since_order", "line_orders_30d", "line_orders_90d", "line_orders_365d",
    "line_spend_365d", "line_billed_60d",
    "line_research_7d", "line_research_30d", "line_research_90d",
    "line_configured_30d", "line_appointments_30d",
    # the customer
    "days_since_order", "orders_90d", "orders_365d", "spend_365d",
    "web_sessions_30d", "engagement_points_30d",
    "contacts_30d", "contacts_90d", "advice_contacts_30d", "complaints_90d",
    "tenure_days", "age_years", "is_nl",
)

FEATURE_SQL = f"""
with params as (
    select %(as_of)s::date as as_of
),

lines as (
    select unnest(%(lines)s::text[]) as product_line
),

orders as (
    select p.customer_id, p.product_line, min(p.purchase_date) as order_date, sum(p.amount) as net
    from {PURCHASES} as p, params
    where p.customer_id is not null and p.currency = 'EUR' and p.channel in ('store', 'web')
      and p.purchase_date <= params.as_of
    group by p.customer_id, p.product_line, p.channel, p.order_ref
    having sum(p.amount) > 0
),

line_orders as (
    select o.customer_id, o.product_line,
           min(params.as_of - o.order_date) as line_days_since_order,
           count(*) filter (where o.order_date > params.as_of - 30) as line_orders_30d,
           count(*) filter (where o.order_date > params.as_of - 90) as line_orders_90d,
           count(*) filter (where o.order_date > params.as_of - 365) as line_orders_365d,
           coalesce(sum(o.net) filter (where o.order_date > params.as_of - 365), 0) as line_spend_365d
    from orders as o, params
    group by o.customer_id, o.product_line
),

customer_orders as (
    select o.customer_id,
           min(params.as_of - o.order_date) as days_since_order,
           count(*) filter (where o.order_date > params.as_of - 90) as orders_90d,
           count(*) filter (where o.order_date > params.as_of - 365) as orders_365d,
           coalesce(sum(o.net) filter (where o.order_date > params.as_of - 365), 0) as spend_365d
    from orders as o, params
    group by o.customer_id
),

billing as (
    select p.customer_id, p.product_line, sum(p.amount) as line_billed_60d
    from {PURCHASES} as p, params
    where p.customer_id is not null and p.channel = 'finance'
      and p.purchase_date <= params.as_of and p.purchase_date > params.as_of - 60
    group by p.customer_id, p.product_line
),

web as (
    select w.*, params.as_of - w.event_date as age_days
    from {WEB_EVENTS} as w, params
    where w.customer_id is not null
      and w.event_date <= params.as_of and w.event_date > params.as_of - 90
),

line_web as (
    select customer_id, product_line,
           count(*) filter (where is_research and age_days < 7) as line_research_7d,
           count(*) filter (where is_research and age_days < 30) as line_research_30d,
           count(*) filter (where is_research) as line_research_90d,
           count(*) filter (where event_type = 'product_configured' and age_days < 30) as line_configured_30d,
           count(*) filter (where event_type = 'appointment_booked' and age_days < 30)
               as line_appointments_30d
    from web
    where product_line is not null
    group by customer_id, product_line
),

customer_web as (
    select customer_id,
           count(distinct session_id) filter (where age_days < 30) as web_sessions_30d,
           coalesce(sum(engagement_points) filter (where age_days < 30), 0) as engagement_points_30d
    from web
    group by customer_id
),

contacts as (
    select c.customer_id,
           count(*) filter (where c.contact_date > params.as_of - 30) as contacts_30d,
           count(*) as contacts_90d,
           count(*) filter (where c.contact_date > params.as_of - 30 and c.reason = 'product_info')
               as advice_contacts_30d,
           count(*) filter (where c.is_complaint) as complaints_90d
    from {CONTACTS} as c, params
    where c.customer_id is not null
      and c.contact_date <= params.as_of and c.contact_date > params.as_of - 90
    group by c.customer_id
),

first_seen as (
    select customer_id, min(day) as first_day
    from (
        select customer_id, purchase_date as day from {PURCHASES}
        union all select customer_id, event_date from {WEB_EVENTS}
        union all select customer_id, contact_date from {CONTACTS}
    ) as events, params
    where customer_id is not null and day <= params.as_of
    group by customer_id
),

population as (
    select c.customer_id, f.first_day, g.date_of_birth, c.country_code
    from {CUSTOMERS} as c
    join first_seen as f using (customer_id)
    left join {GOLDEN} as g using (customer_id)
),

final as (
    select
        p.customer_id,
        l.product_line,
        coalesce(lo.line_days_since_order, {NEVER_DAYS}) as line_days_since_order,
        coalesce(lo.line_orders_30d, 0) as line_orders_30d,
        coalesce(lo.line_orders_90d, 0) as line_orders_90d,
        coalesce(lo.line_orders_365d, 0) as line_orders_365d,
        coalesce(lo.line_spend_365d, 0) as line_spend_365d,
        coalesce(b.line_billed_60d, 0) as line_billed_60d,
        coalesce(lw.line_research_7d, 0) as line_research_7d,
        coalesce(lw.line_research_30d, 0) as line_research_30d,
        coalesce(lw.line_research_90d, 0) as line_research_90d,
        coalesce(lw.line_configured_30d, 0) as line_configured_30d,
        coalesce(lw.line_appointments_30d, 0) as line_appointments_30d,
        coalesce(co.days_since_order, {NEVER_DAYS}) as days_since_order,
        coalesce(co.orders_90d, 0) as orders_90d,
        coalesce(co.orders_365d, 0) as orders_365d,
        coalesce(co.spend_365d, 0) as spend_365d,
        coalesce(cw.web_sessions_30d, 0) as web_sessions_30d,
        coalesce(cw.engagement_points_30d, 0) as engagement_points_30d,
        coalesce(ct.contacts_30d, 0) as contacts_30d,
        coalesce(ct.contacts_90d, 0) as contacts_90d,
        coalesce(ct.advice_contacts_30d, 0) as advice_contacts_30d,
        coalesce(ct.complaints_90d, 0) as complaints_90d,
        params.as_of - p.first_day as tenure_days,
        extract(year from age(params.as_of, p.date_of_birth)) as age_years,
        (p.country_code = 'NL')::integer as is_nl
    from population as p
    cross join lines as l
    cross join params
    left join line_orders as lo on lo.customer_id = p.customer_id and lo.product_line = l.product_line
    left join billing as b on b.customer_id = p.customer_id and b.product_line = l.product_line
    left join line_web as lw on lw.customer_id = p.customer_id and lw.product_line = l.product_line
    left join customer_orders as co on co.customer_id = p.customer_id
    left join customer_web as cw on cw.customer_id = p.customer_id
    left join contacts as ct on ct.customer_id = p.customer_id
)

select * from final order by customer_id, product_line
"""


def product_lines(conn: psycopg.Connection, through: date) -> list[str]:
    """The product lines with a store or web purchase on or before `through`."""
    return [line for (line,) in conn.execute(
        f"""select distinct product_line from {PURCHASES}
            where channel in ('store', 'web') and product_line is not null and purchase_date <= %s
            order by 1""", (through,))]


def features(conn: psycopg.Connection, as_of: date, lines: list[str]) -> pd.DataFrame:
    """One row per (customer_id, product_line) of the population as of `as_of`, FEATURES as floats."""
    cursor = conn.execute(FEATURE_SQL, {"as_of": as_of, "lines": list(lines)})
    names = [c.name for c in cursor.description]
    frame = pd.DataFrame(cursor.fetchall(), columns=names)
    frame[list(FEATURES)] = frame[list(FEATURES)].astype("float64")
    return frame

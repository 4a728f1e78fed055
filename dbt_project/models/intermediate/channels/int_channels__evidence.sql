-- Every sign of the channel a customer turns to for a product line, up to the business
-- date, in the simulator's and the activities' vocabulary (store, web, email, phone):
--   store_purchase    a store receipt of the line (returns excluded)              store
--   store_appointment a store visit about the line, booked on the website         store
--   web_order         a web order of the line                                     web, or email from the newsletter
--   web_research      a web session about the line without an order              web, or email from the newsletter
--   advice_call       a product_info call to the contact center                   phone
-- A web session is from the newsletter when it arrived from an e-mail's link. An advice
-- call names no product line: it counts for each line the customer researched or bought
-- in the days after it (var channel_call_window_days), and for the customer alone
-- (product_line NULL) when there is none. Billing counts for no channel: an invoice
-- says nothing about where the customer turns.
with purchases as (
    select * from {{ ref('int_facts__purchases') }}
),

web_events as (
    select * from {{ ref('int_facts__web_events') }}
),

raw_events as (
    select * from {{ ref('stg_web__events') }}
),

contacts as (
    select * from {{ ref('int_facts__contacts') }}
),

business_date as (
    select {{ business_date() }} as business_date
),

-- Where a customer buys says most. Looking on the website says little: store customers
-- research online too. A call for advice is how phone customers research, and must
-- outweigh the store receipt that follows it.
weights (evidence_kind, weight) as (
    values ('store_purchase', 3.0), ('store_appointment', 2.0), ('web_order', 3.0),
           ('web_research', 0.25), ('advice_call', 3.0)
),

store_purchases as (
    select
        p.customer_id,
        p.product_line,
        'store' as channel,
        'store_purchase' as evidence_kind,
        p.purchase_date as evidence_date,
        p.order_ref as evidence_ref
    from purchases as p
    cross join business_date as d
    where p.channel = 'store' and p.customer_id is not null and p.product_line is not null
      and not p.is_return and p.purchase_date <= d.business_date
    group by p.customer_id, p.product_line, p.purchase_date, p.order_ref
),

-- A link in an e-mail arrives tagged utm_medium email and without a referring page; a
-- tag alone is also what campaign links copied elsewhere carry.
newsletter_sessions as (
    select distinct session_id
    from raw_events
    where utm_medium = 'email' and referrer is null
),

line_sessions as (
    select
        e.customer_id,
        e.product_line,
        e.session_id,
        min(e.event_date) as evidence_date,
        bool_or(e.event_type = 'order_completed') as has_order,
        bool_or(e.event_type = 'appointment_booked') as has_appointment
    from web_events as e
    cross join business_date as d
    where e.customer_id is not null and e.product_line is not null and e.event_date <= d.business_date
      and (e.is_research or e.event_type = 'order_completed')
    group by e.customer_id, e.product_line, e.session_id
),

web_sessions as (
    select
        s.customer_id,
        s.product_line,
        case when n.session_id is not null then 'email' else 'web' end as channel,
        case when s.has_order then 'web_order' else 'web_research' end as evidence_kind,
        s.evidence_date,
        s.session_id as evidence_ref
    from line_sessions as s
    left join newsletter_sessions as n using (session_id)
),

appointments as (
    select customer_id, product_line, 'store', 'store_appointment', evidence_date, session_id
    from line_sessions
    where has_appointment
),

advice_calls as (
    select c.customer_id, c.contact_date, c.interaction_id
    from contacts as c
    cross join business_date as d
    where c.customer_id is not null and c.reason = 'product_info' and c.channel = 'phone'
      and c.contact_date <= d.business_date
),

line_touches as (
    select customer_id, product_line, evidence_date from store_purchases
    union
    select customer_id, product_line, evidence_date from web_sessions
),

calls_per_line as (
    select distinct
        c.customer_id,
        t.product_line,
        'phone' as channel,
        'advice_call' as evidence_kind,
        c.contact_date as evidence_date,
        c.interaction_id as evidence_ref
    from advice_calls as c
    left join line_touches as t
        on t.customer_id = c.customer_id
        and t.evidence_date between c.contact_date
            and c.contact_date + {{ var('channel_call_window_days', 28) }}
),

unioned as (
    select * from store_purchases
    union all select * from web_sessions
    union all select * from appointments
    union all select * from calls_per_line
),

final as (
    select
        u.customer_id::text as customer_id,
        u.product_line::text as product_line,
        u.channel::text as channel,
        u.evidence_kind::text as evidence_kind,
        w.weight::numeric(6, 2) as weight,
        u.evidence_date::date as evidence_date,
        u.evidence_ref::text as evidence_ref
    from unioned as u
    join weights as w using (evidence_kind)
)

select * from final

-- Every purchase line of every channel, one row each, with the customer where the
-- record carries identity. Which silo owns which revenue (so nothing counts twice):
--   store    POS lines: retail sales in the stores, returns as negative lines
--   web      order_completed events: orders in the web shop
--   finance  invoices and credit notes: what billing charges for contracts and
--            subscriptions (monthly fees per product line); never a store or web sale
-- Amounts are euros including VAT, as the customer pays them (POS and web prices
-- include VAT; billing's amount plus its VAT).
with xref as (
    select * from {{ ref('int_identity__xref') }}
),

pos_lines as (
    select * from {{ ref('stg_store__pos_lines') }}
),

web_events as (
    select * from {{ ref('stg_web__events') }}
),

invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

store as (
    select
        'store:' || p.pos_line_id as purchase_line_id,
        'store' as channel,
        p.store_code || ':' || p.receipt_id as order_ref,
        x.customer_id,
        p.sold_at as purchased_at,
        p.product_line,
        p.quantity,
        p.line_amount as amount,
        'EUR' as currency,
        p.quantity < 0 as is_return
    from pos_lines as p
    left join xref as x on x.source_system = 'store' and x.source_key = p.loyalty_card
),

-- an order delivered in two events (at-least-once delivery, new event id) counts once
web_orders as (
    select distinct on (properties ->> 'order_id')
        properties ->> 'order_id' as order_id,
        anonymous_id,
        occurred_at,
        properties ->> 'product_line' as product_line,
        -- a revenue that is no plain decimal (12,50 written the Dutch way, a text) leaves the
        -- order without an amount rather than failing the night
        case when properties ->> 'revenue' ~ '^[+-]?[0-9]{1,10}(\.[0-9]+)?$'
            then (properties ->> 'revenue')::numeric(12, 2) end as revenue,
        coalesce(properties ->> 'currency', 'EUR') as currency
    from web_events
    where event_type = 'order_completed' and properties ->> 'order_id' is not null
    order by properties ->> 'order_id', occurred_at, event_id
),

web as (
    select
        'web:' || o.order_id,
        'web',
        o.order_id,
        x.customer_id,
        o.occurred_at,
        o.product_line,
        1,
        o.revenue,
        o.currency,
        false
    from web_orders as o
    left join xref as x on x.source_system = 'web' and x.source_key = o.anonymous_id
),

finance as (
    select
        'finance:' || i.invoice_id,
        'finance',
        i.invoice_id,
        x.customer_id,
        i.issued_on::timestamp at time zone 'Europe/Amsterdam',
        i.product_line,
        1,
        i.amount_incl_vat,
        i.currency,
        i.amount_incl_vat < 0
    from invoices as i
    left join xref as x on x.source_system = 'finance' and x.source_key = i.account_id
),

unioned as (
    select * from store
    union all select * from web
    union all select * from finance
),

final as (
    select
        purchase_line_id::text as purchase_line_id,
        channel::text as channel,
        order_ref::text as order_ref,
        customer_id::text as customer_id,
        purchased_at::timestamptz as purchased_at,
        {{ business_day('purchased_at') }} as purchase_date,
        product_line::text as product_line,
        quantity::integer as quantity,
        amount::numeric(12, 2) as amount,
        currency::text as currency,
        is_return::boolean as is_return
    from unioned
)

select * from final

-- Purchase metrics per customer up to the business date. An order (a receipt, a web
-- order, an invoice) is a purchase when its net amount is positive; a receipt of
-- returns only or a credit note lowers revenue but is no purchase.
with purchase_lines as (
    select * from {{ ref('int_facts__purchases') }}
),

business_date as (
    select {{ business_date() }} as business_date
),

lines as (
    select l.*
    from purchase_lines as l
    cross join business_date as d
    where l.customer_id is not null and l.currency = 'EUR' and l.purchase_date <= d.business_date
),

orders as (
    select
        customer_id,
        channel,
        order_ref,
        min(purchase_date) as order_date,
        sum(amount) as net_amount
    from lines
    group by customer_id, channel, order_ref
),

order_metrics as (
    select
        customer_id,
        count(*) filter (where net_amount > 0) as purchase_count,
        min(order_date) filter (where net_amount > 0) as first_purchase_date,
        max(order_date) filter (where net_amount > 0) as last_purchase_date,
        min(order_date) filter (where net_amount > 0 and channel in ('store', 'web')) as first_retail_purchase_date,
        max(order_date) filter (where net_amount > 0 and channel in ('store', 'web')) as last_retail_purchase_date
    from orders
    group by customer_id
),

line_metrics as (
    select
        l.customer_id,
        coalesce(sum(l.amount) filter (where l.channel = 'store'), 0) as revenue_store,
        coalesce(sum(l.amount) filter (where l.channel = 'web'), 0) as revenue_web,
        coalesce(sum(l.amount) filter (where l.channel = 'finance'), 0) as revenue_finance,
        coalesce(sum(l.amount), 0) as total_revenue,
        coalesce(-sum(l.amount) filter (where l.is_return), 0) as returned_amount,
        coalesce(sum(l.amount) filter (
            where l.channel = 'finance'
              and l.purchase_date > d.business_date - {{ var('clv_recurring_window_days') }}
        ), 0) as recent_finance_revenue
    from lines as l
    cross join business_date as d
    group by l.customer_id
),

final as (
    select
        m.customer_id,
        m.revenue_store,
        m.revenue_web,
        m.revenue_finance,
        m.total_revenue,
        m.returned_amount,
        m.recent_finance_revenue,
        o.purchase_count,
        o.first_purchase_date,
        o.last_purchase_date,
        o.first_retail_purchase_date,
        o.last_retail_purchase_date
    from line_metrics as m
    join order_metrics as o using (customer_id)
)

select * from final
